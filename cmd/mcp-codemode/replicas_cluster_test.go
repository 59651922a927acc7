package main

// The topology of deploy/ built from processes, since containers cannot run
// on the test machines: PostgreSQL from the OS packages (testenv), replicas
// of the built binary on loopback ports, and HAProxy in front of them,
// running deploy/haproxy.cfg itself with the replicas' addresses in its
// environment.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// haproxyPath finds HAProxy (Debian installs it in /usr/sbin, which is not
// on every user's PATH). Without it the test skips, saying what to install,
// unless CI is set: then it fails.
func haproxyPath(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	testenv.Missing(t, "HAProxy is not installed (apt-get install haproxy)")
	return ""
}

// cluster is replicas of the built binary behind HAProxy.
type cluster struct {
	replicas []*hostedServer // r1, r2, r3: HAProxy's server names, in order
	lb       string          // http://127.0.0.1:PORT, HAProxy's frontend
	haproxy  *exec.Cmd
	output   *testenv.Buffer // HAProxy's stdout and stderr
}

// startCluster starts n replicas serving streamable HTTP with the
// configuration and environment, and HAProxy in front of them with
// deploy/haproxy.cfg. With one replica, HAProxy's three servers are the same
// replica. HAProxy is killed at cleanup, the replicas get SIGTERM.
func startCluster(t *testing.T, n int, configPath string, env ...string) *cluster {
	t.Helper()
	return startClusterOf(t, "http", n, configPath, env...)
}

// startClusterOf is startCluster with replicas serving transport.
func startClusterOf(t *testing.T, transport string, n int, configPath string, env ...string) *cluster {
	t.Helper()
	haproxy := haproxyPath(t)
	c := &cluster{output: &testenv.Buffer{}}
	for range n {
		c.replicas = append(c.replicas, startHosted(t, transport, configPath, env...))
	}
	port := freePort(t)
	c.lb = "http://127.0.0.1:" + port
	c.haproxy = exec.Command(haproxy, "-f", filepath.Join(testenv.Root(), "deploy", "haproxy.cfg"), "-db")
	c.haproxy.Env = append(os.Environ(), "HAPROXY_BIND=127.0.0.1:"+port)
	for i := range 3 {
		c.haproxy.Env = append(c.haproxy.Env, fmt.Sprintf("REPLICA%d=%s", i+1, c.replicas[i%n].addr()))
	}
	c.haproxy.Stdout, c.haproxy.Stderr = c.output, c.output
	c.haproxy.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.haproxy.Start(); err != nil {
		t.Fatalf("starting HAProxy: %v", err)
	}
	t.Cleanup(func() {
		c.haproxy.Process.Kill()
		c.haproxy.Wait()
		if t.Failed() {
			t.Logf("HAProxy's output:\n%s", c.output.String())
		}
	})
	c.waitBalancer(t)
	return c
}

// freePort is a loopback port nobody listens on (for HAProxy, which cannot
// say which port it chose).
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// waitBalancer waits until HAProxy answers /readyz from a replica.
func (c *cluster) waitBalancer(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(testenv.Within(10 * time.Second))
	for {
		resp, err := http.Get(c.lb + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("HAProxy does not answer /readyz (%v):\n%s", err, c.output.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addr is the replica's host:port.
func (s *hostedServer) addr() string { return strings.TrimPrefix(s.base, "http://") }

// name is the replica's server name in HAProxy: r1, r2, r3.
func (c *cluster) name(s *hostedServer) string {
	for i, r := range c.replicas {
		if r == s {
			return fmt.Sprintf("r%d", i+1)
		}
	}
	return "?"
}

// byName is the replica HAProxy calls name (with one replica, all three
// names are that one).
func (c *cluster) byName(name string) *hostedServer {
	i, err := strconv.Atoi(strings.TrimPrefix(name, "r"))
	if err != nil || i < 1 || i > 3 {
		return nil
	}
	return c.replicas[(i-1)%len(c.replicas)]
}

// byPid is the replica that is the parent of process pid (a testup
// upstream, which the replica started), or nil.
func (c *cluster) byPid(pid int) *hostedServer {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	// pid (comm) state ppid ...; comm may hold spaces, so cut at ")".
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 2 {
		return nil
	}
	ppid, _ := strconv.Atoi(f[1])
	for _, r := range c.replicas {
		if r.cmd.Process.Pid == ppid {
			return r
		}
	}
	return nil
}

// executions is the sum of the replica's mcp_codemode_executions_total.
func (s *hostedServer) executions(t testing.TB, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n := 0
	for _, m := range executionsLine.FindAllSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		n += int(v)
	}
	return n
}

var executionsLine = regexp.MustCompile(`(?m)^mcp_codemode_executions_total\{[^}]*\} (\S+)$`)

// readyz is the status of the replica's /readyz.
func (s *hostedServer) readyz() int {
	resp, err := http.Get(s.base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// count is how many lines of the replica's stderr match re.
func (s *hostedServer) count(re *regexp.Regexp) int {
	return len(re.FindAllStringIndex(s.stderr.String(), -1))
}

// --- which replica served a request ---

// hop is one HTTP request through the balancer as the client saw it.
type hop struct {
	kind   string // the JSON-RPC method, "response" for a client's answer, or the HTTP method
	served string // X-Served-By: the replica (r1, r2, r3) HAProxy sent it to; "" when none answered
	err    error  // the transport's error
	start  time.Time
}

// routes is an http.RoundTripper that notes which replica served each
// request (HAProxy's X-Served-By), in order, and for a request whose
// context carries a *hopRec, fills it in.
type routes struct {
	base http.RoundTripper
	mu   sync.Mutex
	hops []hop
}

// hopRec receives the hop of one request, when its response's headers (or
// an error) came.
type hopRec struct {
	h      hop
	filled chan struct{}
}

func newHopRec() *hopRec { return &hopRec{filled: make(chan struct{})} }

// get is the hop, or the zero hop while the request has no answer.
func (r *hopRec) get() hop {
	select {
	case <-r.filled:
		return r.h
	default:
		return hop{}
	}
}

type hopKey struct{}

// withHop returns a context whose request (one: the first fills rec) is
// noted in rec.
func withHop(ctx context.Context, rec *hopRec) context.Context {
	return context.WithValue(ctx, hopKey{}, rec)
}

func newRoutes() *routes {
	return &routes{base: &http.Transport{MaxIdleConnsPerHost: 64}}
}

func (r *routes) client() *http.Client { return &http.Client{Transport: r} }

func (r *routes) RoundTrip(req *http.Request) (*http.Response, error) {
	h := hop{kind: req.Method, start: time.Now()}
	if req.Body != nil && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			h.kind = jsonrpcKind(body, req.Method)
		}
	}
	if h.kind == "response" {
		// mcp-go's client may give up waiting for its answer's 202 (the
		// context it sends it with ends when the request the answer
		// unblocked is answered first); the answer has been sent by then,
		// and finishing the exchange tells which replica took it.
		req = req.WithContext(context.WithoutCancel(req.Context()))
	}
	resp, err := r.base.RoundTrip(req)
	h.err = err
	if resp != nil {
		h.served = resp.Header.Get("X-Served-By")
	}
	if rec, ok := req.Context().Value(hopKey{}).(*hopRec); ok {
		select {
		case <-rec.filled:
		default:
			rec.h = h
			close(rec.filled)
		}
	}
	r.mu.Lock()
	r.hops = append(r.hops, h)
	r.mu.Unlock()
	return resp, err
}

// jsonrpcKind is the method of the JSON-RPC message in body, "response"
// for an answer, or fallback.
func jsonrpcKind(body io.ReadCloser, fallback string) string {
	defer body.Close()
	var msg struct {
		Method string          `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if json.NewDecoder(body).Decode(&msg) != nil {
		return fallback
	}
	if msg.Method != "" {
		return msg.Method
	}
	if msg.Result != nil || msg.Error != nil {
		return "response"
	}
	return fallback
}

// await is of(kind) once it holds n hops, or after testenv.Within(5 s):
// a hop is noted when its response's headers come, and the server may
// answer the request an answer unblocked before the answer's own 202.
func (r *routes) await(kind string, n int) []hop {
	deadline := time.Now().Add(testenv.Within(5 * time.Second))
	for {
		if hs := r.of(kind); len(hs) >= n || time.Now().After(deadline) {
			return hs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// of are the hops of kind, in order.
func (r *routes) of(kind string) []hop {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hop
	for _, h := range r.hops {
		if h.kind == kind {
			out = append(out, h)
		}
	}
	return out
}
