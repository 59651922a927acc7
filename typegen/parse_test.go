package typegen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	for _, in := range []string{`{`, `{"a":}`, `[1,]`, `{"a":1}x`, `nul`, "\"\x01\"", `01`, `1.`, `"\x"`, `{"a" 1}`, `"\u12"`} {
		var p parser
		if v, err := p.parse([]byte(in)); err == nil {
			t.Errorf("parse(%q) = %v, want an error", in, jsonText(v))
		}
	}
}

// FuzzParse checks the parser against encoding/json: it accepts exactly
// what json.Valid accepts, and decodes it to the same values (of duplicate
// keys, the last).
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"x\u00e9\n"]}`, `"\ud800"`, `01`, `1.`,
		`-`, `1e`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `"\x"`, "\"\x01\"", `{"a":1,"a":2}`, ` [ ] `, `tru`, `nul`, `"\u12"`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "\"\xff\"", `{"b":{"c":[{}]}}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p parser
		v, err := p.parse(data)
		if len(bytes.TrimSpace(data)) == 0 {
			if v != nil || err != nil {
				t.Fatalf("empty input: %v, %v", v, err)
			}
			return
		}
		if valid := json.Valid(data); (err == nil) != valid {
			t.Fatalf("parse error %v, json.Valid %v, for %q", err, valid, data)
		}
		if err != nil {
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, asAny(v)); diff != "" {
			t.Fatalf("%q decodes differently (-encoding/json +parse):\n%s", data, diff)
		}
	})
}

// asAny converts a value to what encoding/json decodes with UseNumber.
func asAny(v *value) any {
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
			out[i] = asAny(e)
		}
		return out
	}
	out := make(map[string]any, len(v.keys))
	for i, k := range v.keys {
		out[k] = asAny(v.vals[i])
	}
	return out
}
