package hosted

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// The test binary doubles as a stdio upstream: with fakeUpstream set it
// serves the tool "exit", which ends the process, instead of running tests.
const fakeUpstream = "HOSTED_TEST_FAKE_UPSTREAM"

func TestMain(m *testing.M) {
	if os.Getenv(fakeUpstream) == "1" {
		s := mcpserver.NewMCPServer("crashy", "1.0.0", mcpserver.WithToolCapabilities(true))
		s.AddTool(mcp.NewTool("exit", mcp.WithDescription("Ends the server.")),
			func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				os.Exit(3)
				return nil, nil
			})
		_ = mcpserver.ServeStdio(s)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestReadyzUpstreamExit: a script that makes an upstream exit does not
// make the replica unready: no tenant can take it out of rotation. /readyz
// lists the upstream as down, without the reason (starting it again is
// the registry's, which tools' tests cover).
func TestReadyzUpstreamExit(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{Logger: testLogger(t)})
	t.Cleanup(func() { reg.Close() })
	started := reg.Connect(t.Context(), []config.Server{{Name: "crashy", Type: config.Stdio, Command: os.Args[0],
		Env: map[string]string{fakeUpstream: "1"}, Timeout: 10 * time.Second}})
	if started[0].Err != nil {
		t.Fatal(started[0].Err)
	}
	c := authConfig(config.Codemode{})
	h, err := New(Options{Server: server.New(reg, server.Options{Limits: c, Logger: testLogger(t)}), Registry: reg,
		Started: started, Config: c, Loopback: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f := &fixture{h: h, srv: srv}
	readyz := func() (int, string) {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, body(resp)
	}
	if code, text := readyz(); code != 200 || text != "ready\ncrashy: up\n" {
		t.Fatalf("readyz = %d %q", code, text)
	}
	alice := f.client(t, tokenA).initialize()
	text := resultText(t, messages(t, alice.post(executeReq(1, `try { await crashy.exit() } catch (e) { return e.name }`, "")))[0])
	t.Logf("the script got %s", text)
	if code, text := readyz(); code != 200 || text != "ready\ncrashy: down\n" {
		t.Errorf("readyz after a script made an upstream exit = %d %q; want 200, the upstream down", code, text)
	}
}
