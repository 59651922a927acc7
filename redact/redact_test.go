package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"
)

// secret has the characters encoders treat differently: "/" (kept by
// Python's quote), "+" (%2B, \u002B in .NET JSON), "=".
const secret = "Tok/en+s3cr3t=42"

// each encodes every character of s with f.
func each(s string, f func(c byte) string) string {
	var b strings.Builder
	for i := range len(s) {
		b.WriteString(f(s[i]))
	}
	return b.String()
}

// alternate encodes every other character with f.
func alternate(s string, f func(c byte) string) string {
	var b strings.Builder
	for i := range len(s) {
		if i%2 == 0 {
			b.WriteString(f(s[i]))
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func utf16Bytes(s string, bigEndian, bom bool) string {
	var b []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// encodings are the forms of secret the redactor must catch, by name.
var encodings = map[string]string{
	"literal":                    secret,
	"encodeURIComponent":         url.QueryEscape(secret),
	"path escape":                url.PathEscape(secret),
	"python quote":               strings.NewReplacer("+", "%2B", "=", "%3D").Replace(secret),
	"percent every char upper":   each(secret, func(c byte) string { return fmt.Sprintf("%%%02X", c) }),
	"percent every char lower":   each(secret, func(c byte) string { return fmt.Sprintf("%%%02x", c) }),
	"percent some chars":         alternate(secret, func(c byte) string { return fmt.Sprintf("%%%02x", c) }),
	"percent double":             each(secret, func(c byte) string { return fmt.Sprintf("%%25%02X", c) }),
	"percent u":                  each(secret, func(c byte) string { return fmt.Sprintf("%%u%04X", c) }),
	"dotnet json":                strings.ReplaceAll(secret, "+", `\u002B`),
	"unicode every char lower":   each(secret, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) }),
	"unicode every char upper":   each(secret, func(c byte) string { return fmt.Sprintf(`\u%04X`, c) }),
	"unicode some chars":         alternate(secret, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) }),
	"unicode braces":             each(secret, func(c byte) string { return fmt.Sprintf(`\u{%x}`, c) }),
	"hex escape":                 each(secret, func(c byte) string { return fmt.Sprintf(`\x%02x`, c) }),
	"escaped slash":              strings.ReplaceAll(secret, "/", `\/`),
	"double-encoded json":        jsonString(jsonString(each(secret, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) }))),
	"triple-encoded json":        jsonString(jsonString(jsonString(alternate(secret, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) })))),
	"html decimal":               each(secret, func(c byte) string { return fmt.Sprintf("&#%d;", c) }),
	"html decimal no semicolons": "&#84&#111k/en&#43s3cr3t=42", // as browsers read them: not before a digit
	"html hex":                   each(secret, func(c byte) string { return fmt.Sprintf("&#x%x;", c) }),
	"html hex upper X":           each(secret, func(c byte) string { return fmt.Sprintf("&#X%X;", c) }),
	"html named":                 strings.NewReplacer("/", "&sol;", "+", "&plus;", "=", "&equals;").Replace(secret),
	"html amp nested":            each(secret, func(c byte) string { return fmt.Sprintf("&amp;#%d;", c) }),
	"percent-encoded json":       url.QueryEscape(each(secret, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) })),
	"json of percent-encoded":    jsonString(url.PathEscape(secret)),
	"utf-16le bom":               utf16Bytes(secret, false, true),
	"utf-16le":                   utf16Bytes(secret, false, false),
	"utf-16be bom":               utf16Bytes(secret, true, true),
	"utf-16be":                   utf16Bytes(secret, true, false),
	"base64 basic auth":          base64.StdEncoding.EncodeToString([]byte("user:" + secret)),
	"base64 offset 0":            base64.StdEncoding.EncodeToString([]byte(secret + "!")),
	"base64 offset 1":            base64.StdEncoding.EncodeToString([]byte("x" + secret)),
	"base64url":                  base64.RawURLEncoding.EncodeToString([]byte("ab" + secret + "cd")),
}

func TestEncodings(t *testing.T) {
	r := New([]string{secret})
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			in := "before " + enc + " after"
			out := r.String(in)
			if out == in {
				t.Fatalf("not redacted: %q", in)
			}
			if strings.Contains(out, secret) || decodesTo(out, secret) {
				t.Errorf("secret still decodable from %q", out)
			}
			if strings.HasPrefix(name, "utf-16") {
				return
			}
			if !strings.HasPrefix(out, "before ") || !strings.HasSuffix(out, " after") || !strings.Contains(out, Redacted) {
				t.Errorf("%q -> %q", in, out)
			}
		})
	}
}

// decodesTo reports whether a decoding of text (the view, or base64 of it)
// holds s.
func decodesTo(text, s string) bool {
	v, _, _ := decodeAll.view([]byte(text), false)
	if bytes.Contains(v, []byte(s)) {
		return true
	}
	for _, f := range strings.Fields(text) {
		if d, err := base64.StdEncoding.DecodeString(f); err == nil && bytes.Contains(d, []byte(s)) {
			return true
		}
	}
	return false
}

func TestExactReplacement(t *testing.T) {
	r := New([]string{"s3cr3t-value", `quo"te\back`, "abcd", "abcdef", "no", "", "deadbeef99"})
	tests := []struct{ in, want string }{
		{"x s3cr3t-value y", "x [redacted] y"},
		{"abcdef abcd abcdabcd", "[redacted] [redacted] [redacted][redacted]"},
		{"no", "no"},
		{`%61bcd %61%62%63%64 %2561bcd`, "[redacted] [redacted] [redacted]"},
		{`a\u0062cd a\\u0062cd`, "[redacted] [redacted]"},
		{"&#97;bcd &amp;#97;bcd a&#x62;cd", "[redacted] [redacted] [redacted]"},
		{"%deadbeef99", "%[redacted]"},   // "%de" could read as a byte
		{"%de%61dbeef99", "%[redacted]"}, // and a part of the secret encoded
		{"%C3%A9abcd %E2%82%AC", "%C3%A9[redacted] %E2%82%AC"},
		{"100% abcd &amp; \\n", "100% [redacted] &amp; \\n"},
		{"a\x00b\x00c\x00d\x00!\x00", "[\x00r\x00e\x00d\x00a\x00c\x00t\x00e\x00d\x00]\x00!\x00"},
		{"\x00a\x00b\x00c\x00d\x00!", "\x00[\x00r\x00e\x00d\x00a\x00c\x00t\x00e\x00d\x00]\x00!"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestAmbiguousPrefix: a character before the secret that could start an
// escape with the secret's first characters does not hide it, since only
// characters some secret holds are decoded.
func TestAmbiguousPrefix(t *testing.T) {
	r := New([]string{"bearer-tok", "CANARY-5d1f"})
	tests := []struct{ in, want string }{
		{`\b%65arer-tok \\u0062earer-tok`, `\[redacted] [redacted]`}, // "\b" could read as a backspace
		{"%CA%4EARY-5d1f", "%[redacted]"},                            // "%CA" could read as a byte
		{"&#x" + "CA%4eARY-5d1f", "&#x[redacted]"},                   // and "&#xCA" as a character
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	r := New([]string{"s3cr3t-value", `quo"te\back`, "abcd", "abcdef", "no", "", `xy":1`, "99887766"})
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
		{"double-encoded", `{"inner":"{\"t\":\"\\u0061bcd\"}"}`, `{"inner":"{\"t\":\"[redacted]\"}"}`},
		{"only inside strings", `{"x":"quo","te\\back":1, "y":"quo\"te\\back"}`, `{"x":"quo","te\\back":1, "y":"[redacted]"}`},
		{"secret across syntax", `{"xy":1, "a":"abcd"}`, `{"xy":1,"a":"[redacted]"}`},
		{"secret of digits in a number", `{"pin":[99887766,1.5]}`, `{"pin":["[redacted]",1.5]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(r.JSON([]byte(tt.in))); got != tt.want {
				t.Errorf("JSON(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestNoCopyWithoutSecret(t *testing.T) {
	r := New([]string{secret})
	in := []byte(`{"a":"\u0041 100% &amp; b"}`)
	if out := r.Bytes(in); &out[0] != &in[0] {
		t.Error("a text without a secret was copied")
	}
	if out := r.JSON(in); &out[0] != &in[0] {
		t.Error("a JSON document without a secret was copied")
	}
}

func TestError(t *testing.T) {
	r := New([]string{"hunter22"})
	err := r.Error(&fs.PathError{Op: "open", Path: "/x/hunter%32%32", Err: fs.ErrNotExist})
	if err.Error() != "open /x/[redacted]: file does not exist" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error = %v (Is ErrNotExist: %v)", err, errors.Is(err, fs.ErrNotExist))
	}
	plain := errors.New("nothing")
	if r.Error(plain) != plain || r.Error(nil) != nil {
		t.Error("an error without a secret was replaced")
	}
	var none *Redactor
	if got := none.String("hunter22"); got != "hunter22" || !none.Empty() || New(nil).String("hunter22") != "hunter22" {
		t.Errorf("an empty redactor changed %s", got)
	}
}

// FuzzRedact: a secret written with any mix of the encodings, between any
// text, never survives redaction in a form the view (which decodes them
// all) or the text shows; and valid JSON stays valid.
func FuzzRedact(f *testing.F) {
	f.Add("before ", " after", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(`{"a":"`, `"}`, []byte{1, 1, 1, 1})
	f.Add("%", "%", []byte{3, 3, 2})
	f.Add("&amp;", "\\", []byte{6, 7, 8})
	r := New([]string{secret})
	encs := []func(c byte) string{
		func(c byte) string { return string(c) },
		func(c byte) string { return fmt.Sprintf("%%%02x", c) },
		func(c byte) string { return fmt.Sprintf("%%%02X", c) },
		func(c byte) string { return fmt.Sprintf("%%25%02X", c) },
		func(c byte) string { return fmt.Sprintf(`\u%04x`, c) },
		func(c byte) string { return fmt.Sprintf(`\\u%04X`, c) },
		func(c byte) string { return fmt.Sprintf("&#%d;", c) },
		func(c byte) string { return fmt.Sprintf("&#x%x;", c) },
		func(c byte) string { return fmt.Sprintf("&amp;#%d;", c) },
		func(c byte) string { return fmt.Sprintf(`\x%02x`, c) },
	}
	f.Fuzz(func(t *testing.T, prefix, suffix string, choice []byte) {
		var b strings.Builder
		for i := range len(secret) {
			k := 0
			if i < len(choice) {
				k = int(choice[i]) % len(encs)
			}
			b.WriteString(encs[k](secret[i]))
		}
		in := prefix + b.String() + suffix
		out := r.String(in)
		if strings.Contains(out, secret) || decodesTo(out, secret) {
			t.Errorf("%q -> %q still holds the secret", in, out)
		}
		if js := jsonString(in); !json.Valid(r.JSON([]byte(js))) {
			t.Errorf("JSON of %q became invalid: %q", in, r.JSON([]byte(js)))
		}
	})
}
