package egress

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// stubResolver answers from a map; a name it does not know does not exist.
// No test ever asks the real DNS.
type stubResolver map[string][]string

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range r[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// loopbackDialer dials 127.0.0.1 only and records every address asked
// for: a test that reaches any other address fails.
type loopbackDialer struct {
	t     testing.TB
	mu    sync.Mutex
	dials []string
}

func (d *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, addr)
	d.mu.Unlock()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		d.t.Errorf("dialled %s: tests may only reach 127.0.0.1", addr)
		return nil, fmt.Errorf("test dialer: %s is not loopback", addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *loopbackDialer) addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

// server is the local HTTP server of the tests. The last segment of the
// path picks the behaviour, so every path prefix reaches all of them:
//
//	.../redirect?to=U&code=C  a redirect to U (status C, default 302)
//	.../loop                  a redirect to itself
//	.../slow?ms=N             waits N ms (or until the client gives up), then "done"
//	.../huge?n=N              N bytes of "x"
//	.../binary                bytes 0..255
//	.../status?code=C         an empty response with status C
//	anything else             the request echoed as JSON (see echoed)
//
// It records every request it receives.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	received []*http.Request
	inFlight int
	maxIn    int
}

func testServer(t *testing.T) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.received = append(s.received, r.Clone(context.Background()))
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	q := r.URL.Query()
	switch path.Base(r.URL.Path) {
	case "redirect":
		code, _ := strconv.Atoi(q.Get("code"))
		if code == 0 {
			code = http.StatusFound
		}
		w.Header().Set("Location", q.Get("to"))
		w.WriteHeader(code)
	case "loop":
		http.Redirect(w, r, r.URL.String(), http.StatusFound)
	case "slow":
		ms, _ := strconv.Atoi(q.Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
		}
		io.WriteString(w, "done")
	case "huge":
		n, _ := strconv.Atoi(q.Get("n"))
		chunk := []byte(strings.Repeat("x", 1024))
		for ; n > 0; n -= len(chunk) {
			if _, err := w.Write(chunk[:min(n, len(chunk))]); err != nil {
				return
			}
		}
	case "status":
		code, _ := strconv.Atoi(q.Get("code"))
		w.WriteHeader(code)
	case "binary":
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	default:
		echo(w, r)
	}
}

// requests returns the requests received so far.
func (s *server) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.received...)
}

func (s *server) maxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// base is "http://HOST:PORT" for a name the stub resolves to the server.
func (s *server) base(host string) string { return "http://" + host + ":" + strconv.Itoa(port(s)) }

// echoed is what /echo returns.
type echoed struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// echo answers with the request, and repeats its Authorization header as a
// response header, as careless servers do.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if a := r.Header.Get("Authorization"); a != "" {
		w.Header().Set("X-Seen-Authorization", a)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(echoed{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Headers: r.Header, Body: string(body)})
}

// port is the port of a test server.
func port(ts *server) int {
	p, _ := strconv.Atoi(ts.URL[strings.LastIndexByte(ts.URL, ':')+1:])
	return p
}

// localRule allows plain HTTP to host on the test server's port.
func localRule(host string, ts *server) config.NetworkRule {
	return config.NetworkRule{Host: host, Scheme: "http", Ports: []int{port(ts)}, AllowPrivate: true}
}

// testClient builds a client whose names resolve through the stub and
// whose connections go to loopback only.
func testClient(t testing.TB, n config.Network, opts Options) (*Client, *loopbackDialer) {
	t.Helper()
	d := &loopbackDialer{t: t}
	if opts.Resolver == nil {
		opts.Resolver = stubResolver{"api.test": {"127.0.0.1"}, "other.test": {"127.0.0.1"}}
	}
	opts.Dialer = d
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := New(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, d
}

// run executes code in the sandbox with fetch bound to a new session.
func run(t *testing.T, c *Client, code string) (sandbox.Result, *Session) {
	t.Helper()
	s := c.Session()
	caller := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		return s.Fetch(ctx, args)
	})
	res := sandbox.Run(context.Background(), code, caller, sandbox.Options{
		Prelude:  []string{Shim},
		Bindings: []sandbox.Binding{{Object: BindingObject, Method: BindingMethod, ID: "fetch"}},
		Timeout:  20 * time.Second,
	})
	return res, s
}

// mustRun runs code that must succeed and returns its result's JSON.
func mustRun(t *testing.T, c *Client, code string) string {
	t.Helper()
	res, _ := run(t, c, code)
	if res.Err != nil {
		t.Fatalf("%v\nlogs: %q", res.Err, res.Logs)
	}
	return string(res.Value)
}

func itoa(n int) string { return strconv.Itoa(n) }
