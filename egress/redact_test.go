package egress

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// echoedForms are the ways a server echoes a credential back (issue 12.7),
// by the name the test server takes in ?form=.
var echoedForms = map[string]func(key string) []byte{
	"python quote": func(k string) []byte { // urllib.parse.quote: "/" kept
		return []byte(strings.NewReplacer("+", "%2B", "=", "%3D").Replace(k))
	},
	"dotnet json": func(k string) []byte { // System.Text.Json escapes "+"
		return []byte(`{"key":"` + strings.ReplaceAll(k, "+", `\u002B`) + `"}`)
	},
	"lowercase percent": func(k string) []byte { return []byte(eachChar(k, "%%%02x")) },
	"full unicode":      func(k string) []byte { return []byte(`{"key":"` + eachChar(k, `\u%04X`) + `"}`) },
	"utf-16le bom":      func(k string) []byte { return utf16Of(`{"key":"`+k+`"}`, false, true) },
	"utf-16le":          func(k string) []byte { return utf16Of(`{"key":"`+k+`"}`, false, false) },
	"utf-16be bom":      func(k string) []byte { return utf16Of(`{"key":"`+k+`"}`, true, true) },
	"utf-16be":          func(k string) []byte { return utf16Of(`{"key":"`+k+`"}`, true, false) },
}

func eachChar(s, format string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

func utf16Of(s string, bigEndian, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	var b []byte
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

// TestFetchRedactsEncodings: a server echoes the injected credential in the
// forms the README promises are scrubbed; the script reads the raw bytes
// and finds neither the credential nor the echoed form, but [redacted] in
// the same encoding as the rest of the body.
func TestFetchRedactsEncodings(t *testing.T) {
	const key = "k3y+tok/en=4f9a"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(echoedForms[r.URL.Query().Get("form")](r.Header.Get("X-Api-Key")))
	}))
	t.Cleanup(ts.Close)
	p, _ := strconv.Atoi(ts.URL[strings.LastIndexByte(ts.URL, ':')+1:])
	rule := config.NetworkRule{Host: "api.test", Scheme: "http", Ports: []int{p}, AllowPrivate: true,
		InjectHeaders: map[string]string{"X-Api-Key": key}}
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{rule}}, Options{})
	for name, form := range echoedForms {
		t.Run(name, func(t *testing.T) {
			out := mustRun(t, c, fmt.Sprintf(`const r = await fetch("http://api.test:%d/?form=%s");
const b = new Uint8Array(await r.arrayBuffer()); let s = ""; for (const x of b) s += String.fromCharCode(x); s`, p, encodeQuery(name)))
			var body string
			if err := json.Unmarshal([]byte(out), &body); err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(body, "\x00", "")
			if strings.Contains(body, string(form(key))) || strings.Contains(text, key) || !strings.Contains(text, Redacted) {
				t.Errorf("the script read %q", body)
			}
			if strings.HasPrefix(name, "utf-16") && len(body)%2 != 0 {
				t.Errorf("the UTF-16 body lost its alignment: %q", body)
			}
		})
	}
}

func encodeQuery(s string) string { return strings.ReplaceAll(s, " ", "%20") }
