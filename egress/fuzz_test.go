package egress

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// fuzzPort is the only port the fuzz policy allows; nothing listens.
const fuzzPort = 18443

// fuzzSeeds are URLs that attack the parsers: other hosts spelled as the
// allowed one, paths leaving the prefix, encodings servers decode.
var fuzzSeeds = []string{
	"http://api.test:18443/v1/x",
	"http://api.test:18443/v1/..;/admin",
	"http://api.test:18443/v1/%252e%252e/admin",
	"http://api.test:18443/v1/%2e%2e/admin",
	"http://api.test:18443/v1/..%2f..%2fadmin",
	"http://api.test:18443/v1/a%5c..%5c..%5cadmin",
	"http://API.TEST.:18443/v1/",
	"http://api.test@evil.test:18443/v1/",
	"http://evil.test#@api.test:18443/v1/",
	"http://evil.test\\@api.test:18443/v1/",
	"http://api.test:18443\\@evil.test/v1/",
	"http://2130706433:18443/v1/",
	"http://[::ffff:127.0.0.1]:18443/v1/",
	"http://api.test%2eevil.test:18443/v1/",
	"http://api.test:018443/v1/",
	"http://api.test:18443/%76%31/x",
	"//api.test:18443/v1/",
	"http:api.test:18443/v1/",
	"http://api.test:18443/v1/\t../admin",
}

// recordingDialer refuses every connection and remembers what was asked.
type recordingDialer struct {
	mu    sync.Mutex
	dials []string
}

func (d *recordingDialer) DialContext(_ context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, addr)
	d.mu.Unlock()
	return nil, errors.New("fuzz dialer: refused")
}

func (d *recordingDialer) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.dials
	d.dials = nil
	return out
}

// anyResolver resolves api.test to 127.0.0.1 and every other name to
// 127.0.0.2, which no rule allows.
type anyResolver struct{}

func (anyResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "api.test" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
}

func fuzzClient(t testing.TB) (*Client, *recordingDialer) {
	d := &recordingDialer{}
	rule := config.NetworkRule{Host: "api.test", Scheme: "http", Ports: []int{fuzzPort}, PathPrefix: "/v1/",
		AllowPrivate: true, InjectHeaders: map[string]string{"Authorization": "Bearer fuzz-secret"}}
	c, err := New(config.Network{Allow: []config.NetworkRule{rule}, Timeout: 2 * time.Second},
		Options{Resolver: anyResolver{}, Dialer: d, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return c, d
}

// serverPath is the path a lenient server would serve for an escaped path:
// decoded once, "\" as "/", ";" parameters and trailing spaces and NULs
// dropped, a segment of two dots or more read as "..", dot segments
// resolved.
func serverPath(escaped string) string {
	p, err := url.PathUnescape(escaped)
	if err != nil {
		p = escaped
	}
	var out []string
	for _, seg := range strings.Split(strings.ReplaceAll(p, `\`, "/"), "/")[1:] {
		seg, _, _ = strings.Cut(seg, ";")
		seg = strings.TrimRight(seg, " \t\x00")
		switch {
		case seg == ".":
		case len(seg) > 1 && strings.Trim(seg, ".") == "":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}

// FuzzParseTarget: parsing any URL never panics; an accepted one is
// canonical (parsing its text again gives it back, and the URL sent is that
// text); a request the policy allows goes to the allowed host and port,
// under the prefix as a lenient server reads the path; and the only
// address ever dialled is the allowed one.
func FuzzParseTarget(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c, d := fuzzClient(f)
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := parseTarget(raw)
		if err != nil {
			return
		}
		again, err := parseTarget(tg.String())
		if err != nil || again.String() != tg.String() {
			t.Fatalf("%q parsed to %q, which parses to %v, %v", raw, tg, again, err)
		}
		if sent := tg.url().String(); sent != tg.String() {
			t.Fatalf("%q: checked %q, would send %q", raw, tg, sent)
		}
		if r, _ := c.policy.match("GET", tg); r != nil {
			if tg.host != "api.test" || tg.port != fuzzPort || !strings.HasPrefix(serverPath(tg.path), "/v1/") {
				t.Fatalf("%q allowed as %q (a server reads the path as %q)", raw, tg, serverPath(tg.path))
			}
		}
		c.Session().Fetch(context.Background(), json.RawMessage(`{"url":`+jsString(raw)+`}`))
		checkDials(t, raw, d.take())
	})
}

func checkDials(t *testing.T, raw string, dials []string) {
	for _, a := range dials {
		if a != "127.0.0.1:18443" {
			t.Fatalf("%q dialled %s", raw, a)
		}
	}
}

// FuzzShimURL: the shim's URL and Request, in goja, never throw anything
// but a TypeError, and fetch never reaches past the policy. When the shim
// and Go both accept a URL they agree on host and port.
func FuzzShimURL(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c, d := fuzzClient(f)
	f.Fuzz(func(t *testing.T, raw string) {
		code := `const raw = ` + jsString(raw) + `;
const out = {};
try { const u = new URL(raw); out.href = u.href; out.hostname = u.hostname; out.port = u.port; out.protocol = u.protocol } catch (e) { if (!(e instanceof TypeError)) throw e; }
try { out.request = new Request(raw).url } catch (e) { if (!(e instanceof TypeError)) throw e; }
try { await fetch(raw) } catch (e) { if (!(e instanceof TypeError) && e.name !== "RangeError") throw e; }
out`
		s := c.Session()
		res := sandbox.Run(context.Background(), code, sandbox.CallerFunc(func(ctx context.Context, _ string, args json.RawMessage) (json.RawMessage, error) {
			return s.Fetch(ctx, args)
		}), sandbox.Options{Prelude: []string{Shim}, Bindings: []sandbox.Binding{{Object: BindingObject, Method: BindingMethod, ID: "fetch"}},
			Timeout: 10 * time.Second})
		if res.Err != nil {
			t.Fatalf("%q: %v", raw, res.Err)
		}
		checkDials(t, raw, d.take())
		var out struct{ Href, Hostname, Port, Protocol, Request string }
		if err := json.Unmarshal(res.Value, &out); err != nil {
			t.Fatalf("%q: result %s: %v", raw, res.Value, err)
		}
		if out.Href != "" && out.Request != "" && strings.SplitN(out.Href, "#", 2)[0] != out.Request {
			t.Errorf("%q: URL %q, Request %q", raw, out.Href, out.Request)
		}
		tg, err := parseTarget(out.Href)
		if out.Href == "" || err != nil {
			return
		}
		// Both canonical forms, up to what Go adds: no trailing dot, IPv4 unmapped.
		host, _ := canonicalHost(strings.TrimSuffix(strings.TrimPrefix(out.Hostname, "["), "]"), strings.HasPrefix(out.Hostname, "["))
		if host != tg.host || out.Port != "" && out.Port != itoa(tg.port) {
			t.Errorf("%q: the shim reads host %q port %q, Go %q %d", raw, out.Hostname, out.Port, tg.host, tg.port)
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
