package tools

import (
	"encoding/json"
	"errors"
	"io/fs"
	"testing"
)

func TestRedactJSON(t *testing.T) {
	r := newRedactor([]string{"s3cr3t-value", `quo"te\back`, "abcd", "abcdef", "no", ""})
	tests := []struct {
		name, in, want string
	}{
		{"plain value", `{"a":"x s3cr3t-value y"}`, `{"a":"x [redacted] y"}`},
		{"key", `{"s3cr3t-value":1}`, `{"[redacted]":1}`},
		{"unicode escapes", `{"a":"\u0073\u0033cr3t-value"}`, `{"a":"[redacted]"}`},
		{"quote and backslash", `["quo\"te\\back!"]`, `["[redacted]!"]`},
		{"longest first", `"abcdef abcd"`, `"[redacted] [redacted]"`},
		{"order, numbers and literals kept", `{"z":1.50,"a":[true,null,"abcd",{"k":-2e3}],"m":{}}`,
			`{"z":1.50,"a":[true,null,"[redacted]",{"k":-2e3}],"m":{}}`},
		{"html not escaped", `{"h":"<abcd>&"}`, `{"h":"<[redacted]>&"}`},
		{"short secrets ignored", `"no"`, `"no"`},
		{"nothing to do", `{"a": "b"}`, `{"a": "b"}`},
		{"invalid JSON scrubbed as text", `{"a":"abcd"`, `{"a":"[redacted]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(r.JSON([]byte(tt.in))); got != tt.want {
				t.Errorf("JSON(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactText(t *testing.T) {
	r := newRedactor([]string{"hunter22"})
	if got := r.String("password hunter22!"); got != "password [redacted]!" {
		t.Errorf("String = %q", got)
	}
	err := r.Error(&fs.PathError{Op: "open", Path: "/x/hunter22", Err: fs.ErrNotExist})
	if err.Error() != "open /x/[redacted]: file does not exist" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error = %v (Is ErrNotExist: %v)", err, errors.Is(err, fs.ErrNotExist))
	}
	var none *redactor
	if got := string(none.JSON([]byte(`"hunter22"`))); got != `"hunter22"` {
		t.Errorf("nil redactor changed %s", got)
	}
}

func FuzzRedactJSON(f *testing.F) {
	f.Add(`{"a":"abcd","b":[1,2,{"abcd":"x"}]}`)
	f.Add(`"\u0061bcd"`)
	r := newRedactor([]string{"abcd"})
	f.Fuzz(func(t *testing.T, in string) {
		out := r.JSON([]byte(in))
		if validJSON([]byte(in)) && !validJSON(out) {
			t.Fatalf("valid %q became invalid %q", in, out)
		}
	})
}

func validJSON(b []byte) bool { return json.Valid(b) }
