package egress

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

const token = "s3cr3t-token-value"

// apiPolicy allows GET and POST under /v1/ on api.test with an injected
// token, and anything on the subdomains of wild.test.
func apiPolicy(ts *server) config.Network {
	api := localRule("api.test", ts)
	api.Methods = []string{"GET", "post"}
	api.PathPrefix = "/v1/"
	api.InjectHeaders = map[string]string{"Authorization": "Bearer " + token, "X-Api-Key": "key-" + token}
	return config.Network{Allow: []config.NetworkRule{api, localRule("*.wild.test", ts)}}
}

func apiClient(t *testing.T, ts *server) (*Client, *loopbackDialer) {
	return testClient(t, apiPolicy(ts), Options{Secrets: []string{token}, Resolver: stubResolver{
		"api.test": {"127.0.0.1"}, "other.test": {"127.0.0.1"}, "wild.test": {"127.0.0.1"},
		"a.wild.test": {"127.0.0.1"}, "b.a.wild.test": {"127.0.0.1"},
	}})
}

// fetchOutcome runs `await fetch(url, init)` and returns "status" or the
// error's "Name: message".
func fetchOutcome(t *testing.T, c *Client, url, init string) string {
	t.Helper()
	if init == "" {
		init = "{}"
	}
	res, _ := run(t, c, `try { const r = await fetch(`+jsString(url)+`, `+init+`); return String(r.status) } catch (e) { return e.name + ": " + e.message }`)
	if res.Err != nil {
		t.Fatalf("%s: %v", url, res.Err)
	}
	var s string
	json.Unmarshal(res.Value, &s)
	return s
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestPolicy(t *testing.T) {
	ts := testServer(t)
	c, _ := apiClient(t, ts)
	api, p := ts.base("api.test"), itoa(port(ts))
	tests := []struct{ url, init, want string }{
		{api + "/v1/items", "", "200"},
		{api + "/v1/items", `{method: "post", body: "x"}`, "200"},
		{api + "/v1/items", `{method: "DELETE"}`, "TypeError: fetch: DELETE " + api + "/v1/items is not allowed: codemode.network.allow[0] (api.test) allows only GET, POST, not DELETE"},
		{api + "/v2/items", "", `TypeError: fetch: GET ` + api + `/v2/items is not allowed: codemode.network.allow[0] (api.test) allows only paths under "/v1/", not "/v2/items"`},
		{api + "/v1/../admin", "", `TypeError: fetch: GET ` + api + `/admin is not allowed: codemode.network.allow[0] (api.test) allows only paths under "/v1/", not "/admin"`},
		{api + "/v1", "", `TypeError: fetch: GET ` + api + `/v1 is not allowed: codemode.network.allow[0] (api.test) allows only paths under "/v1/", not "/v1"`},
		{"https://api.test:" + p + "/v1/", "", "TypeError: fetch: GET https://api.test:" + p + "/v1/ is not allowed: codemode.network.allow[0] (api.test) allows only http, not https"},
		{"http://api.test/v1/", "", "TypeError: fetch: GET http://api.test/v1/ is not allowed: codemode.network.allow[0] (api.test) allows only port " + p + ", not 80"},
		{ts.base("other.test") + "/v1/", "", `TypeError: fetch: GET ` + ts.base("other.test") + `/v1/ is not allowed: no rule in codemode.network.allow matches host "other.test" (allowed: api.test, *.wild.test)`},
		{ts.base("API.Test.") + "/v1/x", "", "200"},
		{ts.base("a.wild.test") + "/anything", `{method: "DELETE"}`, "200"},
		{ts.base("b.a.wild.test") + "/", "", "200"},
		{ts.base("wild.test") + "/", "", `TypeError: fetch: GET ` + ts.base("wild.test") + `/ is not allowed: no rule in codemode.network.allow matches host "wild.test" (allowed: api.test, *.wild.test)`},
		{"ftp://api.test/v1/", "", "TypeError: fetch: only http and https URLs can be fetched, not ftp:"},
		{"file:///etc/passwd", "", "TypeError: fetch: only http and https URLs can be fetched, not file:"},
		{"data:text/plain,hi", "", "TypeError: fetch: only http and https URLs can be fetched, not data:"},
		{"/v1/items", "", `TypeError: fetch: "/v1/items" is not a valid absolute URL (there is no page to resolve a relative one against)`},
		{"http://user:pw@api.test/v1/", "", "TypeError: fetch: URLs with credentials (user:password@) cannot be fetched"},
		{api + "/v1/", `{method: "CONNECT"}`, "TypeError: fetch: CONNECT requests cannot be sent"},
		{api + "/v1/", `{body: "x"}`, "TypeError: fetch: a GET request cannot have a body"},
		{api + "/v1/", `{method: "POST", body: {a: 1}}`, `TypeError: fetch: the body must be a string, an ArrayBuffer, a typed array or URLSearchParams; for JSON pass JSON.stringify(value) and the header "Content-Type: application/json"`},
	}
	for _, tt := range tests {
		if got := fetchOutcome(t, c, tt.url, tt.init); got != tt.want {
			t.Errorf("fetch(%q, %s):\n got %s\nwant %s", tt.url, tt.init, got, tt.want)
		}
	}
	for _, r := range ts.requests() {
		if !strings.HasPrefix(r.URL.Path, "/v1/") && !strings.Contains(r.Host, "wild.test") {
			t.Errorf("the server received %s %s%s", r.Method, r.Host, r.URL)
		}
	}
}

// TestTargetChecksInGo sends requests past the shim's URL parser, as a
// script that reached the binding would: Go refuses them by itself.
func TestTargetChecksInGo(t *testing.T) {
	ts := testServer(t)
	c, _ := apiClient(t, ts)
	api := ts.base("api.test")
	tests := []struct{ url, want string }{
		{api + "/v1/%2e%2e/admin", `fetch: GET ` + api + `/admin is not allowed: codemode.network.allow[0] (api.test) allows only paths under "/v1/", not "/admin"`},
		{api + "/v1/..%2F..%2Fadmin", `fetch: path segment "..%2F..%2Fadmin" hides a dot segment behind an encoded slash`},
		{api + `/v1\..\admin`, `fetch: "` + api + `/v1\\..\\admin" is not a valid URL: it contains "\\"; percent-encode it`},
		{api + "/v1/a b", `fetch: "` + api + `/v1/a b" is not a valid URL: it contains " "; percent-encode it`},
		{"gopher://api.test/", "fetch: only http and https URLs can be fetched, not gopher:"},
		{"http://u@api.test/v1/", `fetch: "http://u@api.test/v1/" includes credentials (user:password@), which fetch does not send`},
		{"http://1.2.3.256/", `fetch: "1.2.3.256" is not a valid IPv4 address`},
		{"http://ex\u00e4mple.test/", `fetch: "http://exämple.test/" is not a valid URL: it contains "Ã"; percent-encode it`},
	}
	for _, tt := range tests {
		s := c.Session()
		_, err := s.Fetch(context.Background(), json.RawMessage(`{"url":`+jsString(tt.url)+`}`))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.url, err, tt.want)
		}
	}
	if n := len(ts.requests()); n != 0 {
		t.Errorf("the server received %d requests", n)
	}
}

func TestInjectedCredentials(t *testing.T) {
	ts := testServer(t)
	var logs bytes.Buffer
	opts := Options{Secrets: []string{token}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	c, _ := testClient(t, apiPolicy(ts), opts)
	res, s := run(t, c, `
const r = await fetch("`+ts.base("api.test")+`/v1/echo?api_key=abc&q=1", { headers: { authorization: "Bearer mine", "X-Mine": "yes" } });
const body = await r.json();
console.log(JSON.stringify(body.headers));
return { seen: r.headers.get("x-seen-authorization"), auth: body.headers.Authorization, key: body.headers["X-Api-Key"], mine: body.headers["X-Mine"] };`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := `{"seen":"[redacted]","auth":["[redacted]"],"key":["[redacted]"],"mine":["yes"]}`
	if string(res.Value) != want {
		t.Errorf("script saw %s; want %s", res.Value, want)
	}
	got := ts.requests()[0].Header
	if got.Get("Authorization") != "Bearer "+token || got.Get("X-Api-Key") != "key-"+token {
		t.Errorf("server received Authorization %q, X-Api-Key %q", got.Get("Authorization"), got.Get("X-Api-Key"))
	}
	audit, _ := json.Marshal(s.Records())
	for what, text := range map[string]string{"result": string(res.Value), "logs": strings.Join(res.Logs, "\n"), "audit": string(audit), "slog": logs.String()} {
		if strings.Contains(text, token) {
			t.Errorf("the %s holds the token: %s", what, text)
		}
	}
	if !strings.Contains(string(audit), `"url":"`+ts.base("api.test")+`/v1/echo?api_key=REDACTED\u0026q=1"`) {
		t.Errorf("audit URL keeps the api_key: %s", audit)
	}
}

// TestRedactedForms: an echo of the credential in JSON-escaped or
// percent-encoded form is scrubbed too.
func TestRedactedForms(t *testing.T) {
	r := newRedactor([]string{`a/b<c>"d e&f`, "abc"})
	for _, in := range []string{`a/b<c>"d e&f`, `a/b<c>\"d e&f`, `a\/b<c>\"d e&f`, `a/b\u003cc\u003e\"d e\u0026f`, `a%2Fb%3Cc%3E%22d+e%26f`, `a%2Fb%3Cc%3E%22d%20e&f`} {
		if got := r.string("<<" + in + ">>"); got != "<<[redacted]>>" {
			t.Errorf("%s: %s", in, got)
		}
	}
	if got := r.string("abc"); got != "abc" {
		t.Errorf("a value under %d bytes was scrubbed: %s", minSecretLen, got)
	}
}

func TestRedirects(t *testing.T) {
	ts := testServer(t)
	c, _ := apiClient(t, ts)
	api := ts.base("api.test")
	tests := []struct{ name, code, want string }{
		{"to a denied host", `await fetch("` + api + `/v1/redirect?to=` + ts.base("other.test") + `/v1/echo")`,
			`TypeError: fetch: GET ` + api + `/v1/redirect?to=` + ts.base("other.test") + `/v1/echo was redirected to ` + ts.base("other.test") + `/v1/echo, which is not allowed: no rule in codemode.network.allow matches host "other.test" (allowed: api.test, *.wild.test)`},
		{"outside the path prefix", `await fetch("` + api + `/v1/redirect?to=/admin")`,
			`TypeError: fetch: GET ` + api + `/v1/redirect?to=/admin was redirected to ` + api + `/admin, which is not allowed: codemode.network.allow[0] (api.test) allows only paths under "/v1/", not "/admin"`},
		{"within the policy", `const r = await fetch("` + api + `/v1/redirect?to=/v1/echo"); ({ status: r.status, redirected: r.redirected, url: r.url, path: (await r.json()).path })`,
			`{"status":200,"redirected":true,"url":"` + api + `/v1/echo","path":"/v1/echo"}`},
		{"303 turns POST into GET", `const r = await fetch("` + api + `/v1/redirect?code=303&to=/v1/echo", { method: "POST", body: "b" }); const j = await r.json(); [j.method, j.body]`,
			`["GET",""]`},
		{"307 keeps POST and its body", `const r = await fetch("` + api + `/v1/redirect?code=307&to=/v1/echo", { method: "POST", body: "b" }); const j = await r.json(); [j.method, j.body]`,
			`["POST","b"]`},
		{"manual", `const r = await fetch("` + api + `/v1/redirect?to=/elsewhere", { redirect: "manual" }); [r.status, r.headers.get("location")]`,
			`[302,"/elsewhere"]`},
		{"error", `await fetch("` + api + `/v1/redirect?to=/v1/echo", { redirect: "error" })`,
			`TypeError: fetch: GET ` + api + `/v1/redirect?to=/v1/echo redirected (status 302) and redirect is "error"`},
		{"a loop", `await fetch("` + api + `/v1/loop")`,
			`TypeError: fetch: GET ` + api + `/v1/loop: stopped after 10 redirects`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := run(t, c, tt.code)
			got := string(res.Value)
			if res.Err != nil {
				got = res.Err.Name + ": " + res.Err.Message
			}
			if got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, r := range ts.requests() {
		if strings.HasPrefix(r.Host, "other.test") || r.URL.Path == "/admin" {
			t.Errorf("a refused hop was sent: %s %s", r.Host, r.URL)
		}
	}
}

// TestRedirectDropsCredentials: injected headers stay with their rule's
// host, and the script's own credentials do not follow it to another.
func TestRedirectDropsCredentials(t *testing.T) {
	ts := testServer(t)
	c, _ := apiClient(t, ts)
	api, wild := ts.base("api.test"), ts.base("a.wild.test")
	mustRun(t, c, `await fetch("`+api+`/v1/redirect?to=`+wild+`/from-api")`)
	mustRun(t, c, `await fetch("`+wild+`/redirect?to=`+ts.base("b.a.wild.test")+`/cross", { headers: { Authorization: "Bearer mine", Cookie: "c=1", "X-Other": "kept" } })`)
	mustRun(t, c, `await fetch("`+wild+`/redirect?to=/same", { headers: { Authorization: "Bearer mine" } })`)
	got := map[string][]string{}
	for _, r := range ts.requests() {
		var hs []string
		for _, h := range []string{"Authorization", "X-Api-Key", "Cookie", "X-Other"} {
			if v := r.Header.Get(h); v != "" {
				hs = append(hs, h+": "+v)
			}
		}
		got[r.URL.Path] = hs
	}
	want := map[string][]string{
		"/v1/redirect": {"Authorization: Bearer " + token, "X-Api-Key: key-" + token},
		"/from-api":    nil,
		"/redirect":    {"Authorization: Bearer mine"},
		"/cross":       {"X-Other: kept"},
		"/same":        {"Authorization: Bearer mine"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers received (-want +got):\n%s", diff)
	}
}

// TestPrivateAddresses: without allow_private, loopback, private,
// link-local and other special addresses are refused at dial time, however
// the URL writes them and whatever a name resolves to; nothing is dialled.
func TestPrivateAddresses(t *testing.T) {
	hosts := []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "0.0.0.0", "*.evil.test"}
	var n config.Network
	for _, h := range hosts {
		n.Allow = append(n.Allow, config.NetworkRule{Host: h, Scheme: "http"})
	}
	c, d := testClient(t, n, Options{Resolver: stubResolver{
		"internal.evil.test": {"10.0.0.5"}, "meta.evil.test": {"169.254.169.254"}, "ula.evil.test": {"fd00::1"},
		"mixed.evil.test": {"93.184.216.34", "127.0.0.1"}, "mapped.evil.test": {"::ffff:192.168.1.1"},
		"nat64.evil.test": {"64:ff9b::a00:1"}, "cgnat.evil.test": {"100.64.0.1"}, "zero.evil.test": {"0.0.0.0"},
	}})
	tests := []struct{ url, why string }{
		{"http://127.0.0.1/", "127.0.0.1 is a loopback address; codemode.network.allow[0] (127.0.0.1)"},
		{"http://2130706433/", "127.0.0.1 is a loopback address; codemode.network.allow[0] (127.0.0.1)"},
		{"http://0x7f.0.0.1/", "127.0.0.1 is a loopback address; codemode.network.allow[0] (127.0.0.1)"},
		{"http://0177.0.0.1/", "127.0.0.1 is a loopback address; codemode.network.allow[0] (127.0.0.1)"},
		{"http://127.1/", "127.0.0.1 is a loopback address; codemode.network.allow[0] (127.0.0.1)"},
		{"http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address; codemode.network.allow[0] (127.0.0.1)"},
		{"http://10.0.0.1/", "10.0.0.1 is a private (RFC 1918) address; codemode.network.allow[1] (10.0.0.1)"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local (cloud metadata) address; codemode.network.allow[2] (169.254.169.254)"},
		{"http://[::1]/", "::1 is a loopback address; codemode.network.allow[3] (::1)"},
		{"http://0.0.0.0/", "0.0.0.0 is a unspecified address; codemode.network.allow[4] (0.0.0.0)"},
		{"http://internal.evil.test/", "internal.evil.test resolves to 10.0.0.5, a private (RFC 1918) address; codemode.network.allow[5] (*.evil.test)"},
		{"http://meta.evil.test/", "meta.evil.test resolves to 169.254.169.254, a link-local (cloud metadata) address; codemode.network.allow[5] (*.evil.test)"},
		{"http://ula.evil.test/", "ula.evil.test resolves to fd00::1, a unique-local IPv6 (fc00::/7) address; codemode.network.allow[5] (*.evil.test)"},
		{"http://mixed.evil.test/", "mixed.evil.test resolves to 127.0.0.1, a loopback address; codemode.network.allow[5] (*.evil.test)"},
		{"http://mapped.evil.test/", "mapped.evil.test resolves to 192.168.1.1, a private (RFC 1918) address; codemode.network.allow[5] (*.evil.test)"},
		{"http://nat64.evil.test/", "nat64.evil.test resolves to 64:ff9b::a00:1, a private (RFC 1918) address; codemode.network.allow[5] (*.evil.test)"},
		{"http://cgnat.evil.test/", "cgnat.evil.test resolves to 100.64.0.1, a shared (carrier-grade NAT) address; codemode.network.allow[5] (*.evil.test)"},
		{"http://zero.evil.test/", "zero.evil.test resolves to 0.0.0.0, a unspecified address; codemode.network.allow[5] (*.evil.test)"},
	}
	for _, tt := range tests {
		got := fetchOutcome(t, c, tt.url, "")
		if !strings.HasSuffix(got, " is not allowed: "+tt.why+` does not set "allow_private": true`) || !strings.HasPrefix(got, "TypeError: fetch: GET ") {
			t.Errorf("%s:\n got %s\nwant …%s", tt.url, got, tt.why)
		}
	}
	if a := d.addrs(); len(a) != 0 {
		t.Errorf("dialled %q", a)
	}
}

func TestLimits(t *testing.T) {
	ts := testServer(t)
	rule := localRule("api.test", ts)
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{rule}, MaxRequests: 3, MaxConcurrent: 2,
		MaxResponseBytes: 5000, Timeout: 300 * time.Millisecond}, Options{})
	api := ts.base("api.test")
	tests := []struct{ name, code, want string }{
		{"requests", `const out = [];
for (let i = 0; i < 5; i++) { try { out.push((await fetch("` + api + `/")).status) } catch (e) { out.push(e.name + ": " + e.message) } }
out`, `[200,200,200,"RangeError: fetch: too many requests: the limit is 3 per execution (codemode.network.max_requests)","RangeError: fetch: too many requests: the limit is 3 per execution (codemode.network.max_requests)"]`},
		{"body at the limit", `(await (await fetch("` + api + `/huge?n=5000")).text()).length`, `5000`},
		{"body with Content-Length over the limit", `await fetch("` + api + `/huge?n=5001")`,
			`RangeError: fetch: the response to GET ` + api + `/huge?n=5001 is larger than the limit of 5000 bytes (codemode.network.max_response_bytes)`},
		{"streamed body over the limit", `await fetch("` + api + `/huge?n=1000000")`,
			`RangeError: fetch: the response to GET ` + api + `/huge?n=1000000 is larger than the limit of 5000 bytes (codemode.network.max_response_bytes)`},
		{"request body over the limit", `await fetch("` + api + `/", { method: "POST", body: "x".repeat(5001) })`,
			`RangeError: fetch: the request body has 5001 bytes; the limit is 5000 bytes (codemode.network.max_response_bytes)`},
		{"timeout", `await fetch("` + api + `/slow?ms=10000")`,
			`TimeoutError: fetch: GET ` + api + `/slow?ms=10000 did not complete within 300ms (codemode.network.timeout)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res, _ := run(t, c, tt.code)
			got := string(res.Value)
			if res.Err != nil {
				got = res.Err.Name + ": " + res.Err.Message
			}
			if got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
			if d := time.Since(start); d > testenv.Within(time.Second) { // the network timeout is 300 ms; the slow server answers after 10 s
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestConcurrencyCap(t *testing.T) {
	ts := testServer(t)
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{localRule("api.test", ts)}, MaxConcurrent: 2}, Options{})
	got := mustRun(t, c, `const rs = await Promise.all(Array.from({ length: 6 }, () => fetch("`+ts.base("api.test")+`/slow?ms=100").then(r => r.text())));
rs.join(",")`)
	if got != `"done,done,done,done,done,done"` {
		t.Errorf("got %s", got)
	}
	if m := ts.maxInFlight(); m != 2 {
		t.Errorf("at most %d requests ran at once; want 2", m)
	}
}

func TestBodies(t *testing.T) {
	ts := testServer(t)
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{localRule("api.test", ts)}}, Options{})
	api := ts.base("api.test")
	tests := []struct{ name, code, want string }{
		{"binary response", `const b = new Uint8Array(await (await fetch("` + api + `/binary")).arrayBuffer()); [b.length, b[0], b[255]]`, `[256,0,255]`},
		{"binary as text", `const t = await (await fetch("` + api + `/binary")).text(); [t.length, t.charCodeAt(65), t.charCodeAt(200)]`, `[256,65,65533]`},
		{"typed array request", `const r = await fetch("` + api + `/", { method: "PUT", body: new Uint8Array([104, 195, 169]) }); (await r.json()).body`, `"hé"`},
		{"unicode text", `const r = await fetch("` + api + `/", { method: "POST", body: "héllo 😀" }); const j = await r.json(); [j.body, j.headers["Content-Type"][0]]`, `["héllo 😀","text/plain;charset=UTF-8"]`},
		{"form", `const r = await fetch("` + api + `/", { method: "POST", body: new URLSearchParams({ q: "a b", x: "é" }) }); const j = await r.json(); [j.body, j.headers["Content-Type"][0]]`, `["q=a+b&x=%C3%A9","application/x-www-form-urlencoded;charset=UTF-8"]`},
		{"json round trip", `const r = await fetch("` + api + `/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: [1] }) }); JSON.parse((await r.json()).body)`, `{"a":[1]}`},
		{"Request object", `const q = new Request("` + api + `/r?x=1", { method: "PATCH", headers: [["X-A", "1"], ["x-a", "2"]], body: "p" }); const j = await (await fetch(q)).json(); [j.method, j.query, j.headers["X-A"], j.body]`, `["PATCH","x=1",["1","2"],"p"]`},
		{"status", `const r = await fetch("` + api + `/status?code=404"); [r.status, r.ok, r.statusText]`, `[404,false,"Not Found"]`},
		{"HEAD", `const r = await fetch("` + api + `/huge?n=100", { method: "HEAD" }); [r.status, await r.text()]`, `[200,""]`},
		{"body read twice", `const r = await fetch("` + api + `/"); await r.text(); try { await r.text() } catch (e) { e.name + ": " + e.message }`, `"TypeError: the body has already been read; use clone() to read it twice"`},
		{"clone", `const r = await fetch("` + api + `/"); const c = r.clone(); (await r.json()).method + (await c.json()).method`, `"GETGET"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := run(t, c, tt.code)
			if res.Err != nil || string(res.Value) != tt.want {
				t.Errorf("\n got %s %v\nwant %s", res.Value, res.Err, tt.want)
			}
		})
	}
}

func TestAudit(t *testing.T) {
	ts := testServer(t)
	c, _ := apiClient(t, ts)
	api := ts.base("api.test")
	res, s := run(t, c, `await fetch("`+api+`/v1/redirect?to=/v1/echo&token=t0k"); try { await fetch("`+ts.base("other.test")+`/?api_key=zzz") } catch {} 1`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := s.Records()
	for i := range got {
		got[i].DurationMS = 0
		if got[i].Method == "GET" && got[i].Status == 200 {
			got[i].Bytes = 1 // the echo's size depends on headers
		}
	}
	want := []Record{
		{Method: "GET", URL: api + "/v1/redirect?to=/v1/echo&token=REDACTED", Rule: "codemode.network.allow[0]", Status: 302},
		{Method: "GET", URL: api + "/v1/echo", Rule: "codemode.network.allow[0]", Status: 200, Bytes: 1},
		{Method: "GET", URL: ts.base("other.test") + "/?api_key=REDACTED", Error: `fetch: GET ` + ts.base("other.test") + `/?api_key=REDACTED is not allowed: no rule in codemode.network.allow matches host "other.test" (allowed: api.test, *.wild.test)`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// TestHTTPS: the default scheme, through the pinned dial: the connection
// goes to the checked address and TLS still verifies the name.
func TestHTTPS(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	ts.StartTLS()
	defer ts.Close()
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	p, _ := strconv.Atoi(ts.URL[strings.LastIndexByte(ts.URL, ':')+1:])
	// The test certificate is for example.com, not untrusted.example.
	rules := []config.NetworkRule{{Host: "example.com", Ports: []int{p}, AllowPrivate: true}, {Host: "untrusted.example", Ports: []int{p}, AllowPrivate: true}}
	c, d := testClient(t, config.Network{Allow: rules}, Options{RootCAs: roots,
		Resolver: stubResolver{"example.com": {"127.0.0.1"}, "untrusted.example": {"127.0.0.1"}}})
	if got := mustRun(t, c, `(await (await fetch("https://example.com:`+itoa(p)+`/x")).json()).path`); got != `"/x"` {
		t.Errorf("got %s", got)
	}
	if a := d.addrs(); len(a) != 1 || a[0] != "127.0.0.1:"+itoa(p) {
		t.Errorf("dialled %q", a)
	}
	got := fetchOutcome(t, c, "https://untrusted.example:"+itoa(p)+"/", "")
	if !strings.Contains(got, "certificate is valid for") {
		t.Errorf("got %s", got)
	}
}
