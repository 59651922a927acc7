package typegen

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseKeepsOrder(t *testing.T) {
	var p parser
	v, err := p.parse([]byte(` {"z": 1, "a": [true, false, null], "m": {"y": "\u00e9\n", "b": -1.5e3}} `))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jsonText(v), `{"z":1,"a":[true,false,null],"m":{"y":"é\n","b":-1.5e3}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{`{`, `{"a":}`, `[1,]`, `{"a":1}x`, `nul`, "\"\x01\""} {
		var p parser
		if v, err := p.parse([]byte(in)); err == nil {
			t.Errorf("parse(%q) = %v, want an error", in, jsonText(v))
		}
	}
}

// FuzzParse checks the hand-written walk against encoding/json: both must
// decode any valid input to the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{"b":null}],"c":"\u2028\"x"}`, `  "s" `, `-0.5E+2`, `{"a":1,"a":2}`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p parser
		v, err := p.parse(data)
		if err != nil || v == nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("parse accepted %q, encoding/json did not: %v", data, err)
		}
		if got := toAny(v); !reflect.DeepEqual(got, want) {
			t.Fatalf("parse(%q) = %#v, encoding/json = %#v", data, got, want)
		}
	})
}

// toAny converts a value to what encoding/json decodes (with UseNumber);
// like encoding/json, the last of duplicate keys wins.
func toAny(v *value) any {
	switch v.kind {
	case kNull:
		return nil
	case kBool:
		return v.b
	case kNumber:
		return json.Number(v.str)
	case kString:
		return v.str
	case kArray:
		out := make([]any, len(v.vals))
		for i, e := range v.vals {
			out[i] = toAny(e)
		}
		return out
	}
	out := make(map[string]any, len(v.keys))
	for i, k := range v.keys {
		out[k] = toAny(v.vals[i])
	}
	return out
}
