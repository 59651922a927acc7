package hostile

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// encodings write the canary as an upstream echoing a credential might,
// by the name the encodings/ cases pass as {form: ...}. A script can undo
// each; at the server, where the canary is a configured secret, the
// registry must have scrubbed every one.
var encodings = map[string]func(s string) string{
	"percent_upper":   func(s string) string { return eachChar(s, "%%%02X") },
	"percent_lower":   func(s string) string { return eachChar(s, "%%%02x") },
	"percent_partial": func(s string) string { return everyOther(s, "%%%02x") },
	"percent_double":  func(s string) string { return eachChar(s, "%%25%02X") },
	"unicode":         func(s string) string { return eachChar(s, `\u%04X`) },
	"unicode_partial": func(s string) string { return everyOther(s, `\u%04x`) },
	"json_double": func(s string) string {
		inner := `{"token":"` + eachChar(s, `\u%04x`) + `"}`
		b, _ := json.Marshal(inner)
		return string(b)
	},
	// a stray "%" before the canary, whose "CA" reads as one byte with it
	"percent_after_percent": func(s string) string { return "%" + s[:2] + everyOther(s[2:], "%%%02X") },
	"html_decimal":          func(s string) string { return eachChar(s, "&#%d;") },
	"html_hex":              func(s string) string { return everyOther(s, "&#x%x;") },
	"base64":                func(s string) string { return base64.StdEncoding.EncodeToString([]byte("user:" + s)) },
	"utf16le":               func(s string) string { return utf16Text(s, false) },
	"utf16be_bom":           func(s string) string { return "\xfe\xff" + utf16Text(s, true) },
}

func eachChar(s, format string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

func everyOther(s, format string) string {
	var b strings.Builder
	for i := range len(s) {
		if i%2 == 0 {
			fmt.Fprintf(&b, format, s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func utf16Text(s string, bigEndian bool) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// encodedCanary is "token=" and the canary in args.form.
func encodedCanary(args json.RawMessage) (string, error) {
	var a struct{ Form string }
	_ = json.Unmarshal(args, &a)
	enc, ok := encodings[a.Form]
	if !ok {
		return "", fmt.Errorf("no form %q", a.Form)
	}
	return "token=" + enc(Canary), nil
}

// secretAs returns the encoded canary as its result (t.secret_as).
func secretAs(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
	s, err := encodedCanary(args)
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// secretError fails with the encoded canary in its message (t.secret_error).
func secretError(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
	s, err := encodedCanary(args)
	if err != nil {
		return nil, err
	}
	return nil, sandbox.NewError(sandbox.NameTool, "denied for "+s)
}
