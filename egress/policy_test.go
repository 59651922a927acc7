package egress

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
)

func TestRuleErrors(t *testing.T) {
	tests := []struct {
		rule config.NetworkRule
		want string
	}{
		{config.NetworkRule{Host: "https://api.example.com"}, `config: codemode.network.allow[0].host: is "https://api.example.com", not a host name; write a host name like "api.example.com" or "*.example.com", or an IP address, without scheme, port or path`},
		{config.NetworkRule{Host: "api.example.com:443"}, `config: codemode.network.allow[0].host: is "api.example.com:443", not a host name; write a host name like "api.example.com" or "*.example.com", or an IP address, without scheme, port or path`},
		{config.NetworkRule{Host: "*.com"}, `config: codemode.network.allow[0].host: is "*.com": a wildcard needs a domain name with a dot after it; write a host name like "api.example.com" or "*.example.com", or an IP address, without scheme, port or path`},
		{config.NetworkRule{Host: "a.*.com"}, `config: codemode.network.allow[0].host: is "a.*.com", not a host name; write a host name like "api.example.com" or "*.example.com", or an IP address, without scheme, port or path`},
		{config.NetworkRule{Host: "*"}, `config: codemode.network.allow[0].host: is "*", not a host name; write a host name like "api.example.com" or "*.example.com", or an IP address, without scheme, port or path`},
		{config.NetworkRule{Host: "a.test", Scheme: "ftp"}, `config: codemode.network.allow[0].scheme: is "ftp"; use "https" (the default) or "http"`},
		{config.NetworkRule{Host: "a.test", Ports: []int{0}}, `config: codemode.network.allow[0].ports: contains 0; ports are 1 to 65535`},
		{config.NetworkRule{Host: "a.test", Methods: []string{"GET", "TRACE"}}, `config: codemode.network.allow[0].methods: contains "TRACE", not an HTTP method fetch can send`},
		{config.NetworkRule{Host: "a.test", PathPrefix: "v1/"}, `config: codemode.network.allow[0].path_prefix: is "v1/"; start it with "/", e.g. "/v1/"`},
		{config.NetworkRule{Host: "a.test", InjectHeaders: map[string]string{"Bad Name": "x"}}, `config: codemode.network.allow[0].inject_headers: has "Bad Name", not a valid header name`},
	}
	for _, tt := range tests {
		_, err := New(config.Network{Allow: []config.NetworkRule{tt.rule}}, Options{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%+v:\n got %v\nwant %s", tt.rule, err, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	c, err := New(config.Network{Allow: []config.NetworkRule{
		{Host: "api.example.com", Methods: []string{"get", "POST"}, PathPrefix: "/v1/", InjectHeaders: map[string]string{"Authorization": "Bearer x"}},
		{Host: "*.example.org", Scheme: "http", Ports: []int{8080, 8081}},
		{Host: "::1", AllowPrivate: true},
	}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "`fetch(url, init)` (with Request, Response, Headers, URL) reaches only: GET, POST https://api.example.com/v1/; " +
		"any method http://*.example.org:8080|8081; any method https://[::1]; anything else is refused. " +
		"Credentials for api.example.com are added for you: do not set them. At most 50 requests per run, 6 at a time, 10 MB per response, 10s each."
	if got := c.Summary(); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if empty, _ := New(config.Network{}, Options{}); empty.Enabled() || empty.Summary() != "" {
		t.Errorf("a policy without rules is enabled: %q", empty.Summary())
	}
}

func TestSpecialRange(t *testing.T) {
	tests := map[string]string{
		"8.8.8.8": "", "2606:4700::1111": "", "64:ff9b::808:808": "", "2002:808:808::1": "",
		"127.0.0.53": "loopback", "::1": "loopback", "::ffff:127.0.0.1": "loopback",
		"10.1.2.3": "private (RFC 1918)", "172.16.0.1": "private (RFC 1918)", "192.168.0.1": "private (RFC 1918)",
		"169.254.169.254": "link-local (cloud metadata)", "169.254.1.1": "link-local", "fe80::1": "link-local",
		"fd12::1": "unique-local IPv6 (fc00::/7)", "0.0.0.0": "unspecified", "::": "unspecified",
		"224.0.0.1": "multicast", "ff02::1": "multicast", "100.100.100.200": "shared (carrier-grade NAT)",
		"0.1.2.3": `"this network" (0.0.0.0/8)`, "255.255.255.255": "reserved", "198.18.0.1": "benchmarking",
		"64:ff9b::a9fe:a9fe": "link-local (cloud metadata)", "2002:7f00:1::": "loopback", "::7f00:1": "IPv4-compatible IPv6",
		"fec0::1": "site-local IPv6",
	}
	for ip, want := range tests {
		if got := specialRange(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %q; want %q", ip, got, want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := map[string]string{
		"http://API.Example.COM./a":       "http://api.example.com/a",
		"https://h:443":                   "https://h/",
		"http://h:80/a/b/../../c/./d/..":  "http://h/c/",
		"http://h/a/%2E%2e/b?x=1#frag":    "http://h/b?x=1",
		"http://0x7f.1:8080/":             "http://127.0.0.1:8080/",
		"http://[0:0:0:0:0:ffff:7f00:1]/": "http://127.0.0.1/",
		"http://[2001:DB8::1]:8443/":      "http://[2001:db8::1]:8443/",
		"http://h/a%2Fb":                  "http://h/a%2Fb",
	}
	for in, want := range tests {
		tg, err := parseTarget(in)
		if err != nil || tg.String() != want {
			t.Errorf("%s: %v %v; want %s", in, tg, err, want)
		}
	}
}

// TestPathPrefixAmbiguous (issue 12.10d): with path_prefix "/v1/", a path
// that starts with it but that servers may resolve elsewhere is refused,
// naming the rule, both from a script (through the shim) and past it; the
// credential is never sent.
func TestPathPrefixAmbiguous(t *testing.T) {
	ts := testServer(t)
	c, _ := apiClient(t, ts)
	api := ts.base("api.test")
	const rule = `codemode.network.allow[0] (api.test) has path_prefix "/v1/" and refuses `
	tests := []struct{ path, want string }{
		{"/v1/..;/admin", rule + `"/v1/..;/admin", whose path servers read differently: it has the dot segment "..;" with a ";" parameter; write the path plainly`},
		{"/v1/..;jsessionid=x/admin", rule + `"/v1/..;jsessionid=x/admin", whose path servers read differently: it has the dot segment "..;jsessionid=x" with a ";" parameter; write the path plainly`},
		{"/v1/.%2E;/admin", rule + `"/v1/.%2E;/admin", whose path servers read differently: it has the dot segment ".%2E;" with a ";" parameter; write the path plainly`},
		{"/v1/%252e%252e/admin", rule + `"/v1/%252e%252e/admin", whose path servers read differently: it has a double-encoded character ("%25"); write the path plainly`},
		{"/v1/%252E%252E%252Fadmin", rule + `"/v1/%252E%252E%252Fadmin", whose path servers read differently: it has a double-encoded character ("%25"); write the path plainly`},
		{"/v1/a%2Fb", rule + `"/v1/a%2Fb", whose path servers read differently: it has an encoded slash ("%2F"); write the path plainly`},
		{"/v1/a%5cb", rule + `"/v1/a%5cb", whose path servers read differently: it has an encoded backslash ("%5c"); write the path plainly`},
		{"/v1/x%2e.json", rule + `"/v1/x%2e.json", whose path servers read differently: it has an encoded dot ("%2e"); write the path plainly`},
		{"/v1/..%00/admin", rule + `"/v1/..%00/admin", whose path servers read differently: it has the segment "..%00", which servers may read as a dot segment; write the path plainly`},
		{"/v1/..%20/admin", rule + `"/v1/..%20/admin", whose path servers read differently: it has the segment "..%20", which servers may read as a dot segment; write the path plainly`},
		{"/v1/.../admin", rule + `"/v1/.../admin", whose path servers read differently: it has the segment "...", which servers may read as a dot segment; write the path plainly`},
	}
	for _, tt := range tests {
		want := "fetch: GET " + api + tt.path + " is not allowed: " + tt.want
		if got := fetchOutcome(t, c, api+tt.path, ""); got != "TypeError: "+want {
			t.Errorf("script, %s:\n got %s\nwant TypeError: %s", tt.path, got, want)
		}
		_, err := c.Session().Fetch(context.Background(), json.RawMessage(`{"url":`+jsString(api+tt.path)+`}`))
		if err == nil || err.Error() != want {
			t.Errorf("Go, %s:\n got %v\nwant %s", tt.path, err, want)
		}
	}
	if n := len(ts.requests()); n != 0 {
		t.Errorf("the server received %d requests", n)
	}
	// Plain paths, and unreserved characters however they are written, pass.
	for _, p := range []string{"/v1/a;b=1/c", "/%76%31/echo", "/v1/%7Euser/x"} {
		if got := fetchOutcome(t, c, api+p, ""); got != "200" {
			t.Errorf("%s: %s", p, got)
		}
	}
}
