package hosted

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestGuard: Host and Origin decide whether a request is served (403 if
// not): loopback names only on a loopback listener, allowed_hosts and
// allowed_origins when set, same-origin pages, and requests without Origin.
func TestGuard(t *testing.T) {
	tests := []struct {
		name            string
		hosts, origins  []string
		loopback        bool
		host, origin    string
		wantHost, wantO bool // allowed
	}{
		{"loopback name on loopback", nil, nil, true, "127.0.0.1:8080", "", true, true},
		{"localhost", nil, nil, true, "localhost:8080", "", true, true},
		{"ipv6 loopback", nil, nil, true, "[::1]:8080", "", true, true},
		{"rebound name on loopback", nil, nil, true, "evil.example:8080", "", false, true},
		{"any name off loopback", nil, nil, false, "mcp.example.com", "", true, true},
		{"allowed host, any port", []string{"mcp.example.com"}, nil, true, "mcp.example.com:443", "", true, true},
		{"allowed host:port", []string{"mcp.example.com:8443"}, nil, false, "mcp.example.com:443", "", false, true},
		{"wildcard host", []string{"*.example.com"}, nil, false, "a.example.com", "", true, true},
		{"host not allowed", []string{"mcp.example.com"}, nil, false, "other.example.com", "", false, true},
		{"same-origin page", nil, nil, false, "mcp.example.com", "https://mcp.example.com", true, true},
		{"loopback page on loopback", nil, nil, true, "127.0.0.1:8080", "http://localhost:3000", true, true},
		{"cross-site page", nil, nil, true, "127.0.0.1:8080", "https://evil.example", true, false},
		{"null origin", nil, nil, true, "127.0.0.1:8080", "null", true, false},
		{"allowed origin", nil, []string{"https://app.example.com/"}, false, "mcp.example.com", "https://APP.example.com", true, true},
		{"origin not in the list", nil, []string{"https://app.example.com"}, false, "mcp.example.com", "https://mcp.example.com", true, false},
		{"any origin", nil, []string{"*"}, false, "mcp.example.com", "https://x.example", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuard(tt.hosts, tt.origins, tt.loopback)
			if got := g.checkHost(tt.host) == ""; got != tt.wantHost {
				t.Errorf("Host %q allowed = %v, want %v (%s)", tt.host, got, tt.wantHost, g.checkHost(tt.host))
			}
			if got := g.checkOrigin(tt.origin, tt.host) == ""; got != tt.wantO {
				t.Errorf("Origin %q allowed = %v, want %v (%s)", tt.origin, got, tt.wantO, g.checkOrigin(tt.origin, tt.host))
			}
		})
	}
}

// TestGuardOverHTTP: the refusals are 403s with a message saying what to
// configure, and an allowed origin's preflight is answered.
func TestGuardOverHTTP(t *testing.T) {
	f := newFixture(t, config.Codemode{AllowedOrigins: []string{"https://app.example.com"}}, HTTP)
	c := f.client(t, "")
	c.header["Origin"] = "https://evil.example"
	resp := c.post(initialize)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body(resp), `Origin \"https://evil.example\" is not in codemode.allowed_origins`) {
		t.Errorf("cross-site: %s", resp.Status)
	}

	c.header["Origin"] = "https://app.example.com"
	resp = c.do(http.MethodOptions, "")
	got := map[string]string{
		"status": resp.Status,
		"allow":  resp.Header.Get("Access-Control-Allow-Origin"),
		"expose": resp.Header.Get("Access-Control-Expose-Headers"),
	}
	want := map[string]string{"status": "204 No Content", "allow": "https://app.example.com", "expose": "Mcp-Session-Id, WWW-Authenticate"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("preflight (-want +got):\n%s", diff)
	}

	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/mcp", strings.NewReader(initialize))
	req.Host = "rebound.example"
	req.Header.Set("Content-Type", "application/json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusForbidden || !strings.Contains(body(r), "is not a loopback name") {
		t.Errorf("rebound Host: %s", r.Status)
	}
}
