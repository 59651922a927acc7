package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// The test binary doubles as a stdio upstream: with fakeEnv set it serves
// the fake tools below instead of running tests.
const fakeEnv = "TOOLS_TEST_FAKE_UPSTREAM"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		serveFake()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveFake serves the fake upstream on stdin/stdout. FAKE_REFUSE names a
// file whose existence makes start-up fail; FAKE_EXTRA names a file whose
// existence adds the tool "extra".
func serveFake() {
	if f := os.Getenv("FAKE_REFUSE"); f != "" {
		if _, err := os.Stat(f); err == nil {
			appendLine(f, "refused")
			fmt.Fprintln(os.Stderr, "refusing to start on purpose")
			os.Exit(1)
		}
	}
	fmt.Fprintln(os.Stderr, "fake upstream starting")
	fmt.Fprint(os.Stderr, "noise without newline ")
	fmt.Fprintln(os.Stderr, "until now")
	s := server.NewMCPServer("fake", "1.0.0", server.WithToolCapabilities(true),
		server.WithInstructions("A fake upstream for tests.\nSecond line."))
	addFakeTools(s)
	if os.Getenv("FAKE_BIG") == "1" {
		s.AddTool(bigTool())
	}
	if f := os.Getenv("FAKE_EXTRA"); f != "" {
		if _, err := os.Stat(f); err == nil {
			s.AddTool(mcp.NewTool("extra", mcp.WithDescription("Only there sometimes.")), textTool("extra"))
		}
	}
	if err := server.ServeStdio(s, server.WithWorkerPoolSize(32)); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
}

func addFakeTools(s *server.MCPServer) {
	s.AddTool(mcp.NewTool("echo", mcp.WithDescription("Echo the text back."),
		mcp.WithString("text", mcp.Required())), func(_ context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(r.GetString("text", "")), nil
	})
	s.AddTool(mcp.NewTool("sleep", mcp.WithNumber("ms", mcp.Required())), func(ctx context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		select {
		case <-time.After(time.Duration(r.GetFloat("ms", 0)) * time.Millisecond):
			return mcp.NewToolResultText("slept"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	s.AddTool(mcp.NewTool("crash"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		fmt.Fprintln(os.Stderr, "crashing on purpose")
		os.Exit(3)
		return nil, nil
	})
	s.AddTool(mcp.NewTool("env", mcp.WithString("name", mcp.Required())), func(_ context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		name := r.GetString("name", "")
		return mcp.NewToolResultStructuredOnly(map[string]string{"name": name, "value": os.Getenv(name)}), nil
	})
	s.AddTool(mcp.NewTool("fail"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("failed on purpose"), nil
	})
	s.AddTool(mcp.NewTool("hang"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

func textTool(text string) server.ToolHandlerFunc {
	return func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(text), nil
	}
}

// fakeServer is a config entry that runs the test binary as the fake
// upstream.
func fakeServer(name string, env map[string]string) config.Server {
	e := map[string]string{fakeEnv: "1"}
	for k, v := range env {
		e[k] = v
	}
	return config.Server{Name: name, Type: config.Stdio, Command: os.Args[0], Env: e, Timeout: 10 * time.Second}
}

// testLogger writes the registry's logs to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newTestRegistry returns a registry closed at the end of the test.
func newTestRegistry(t testing.TB, opts Options) *Registry {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	r := NewRegistry(opts)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// mustConnect connects and fails the test when any server fails.
func mustConnect(t testing.TB, r *Registry, servers ...config.Server) []Status {
	t.Helper()
	sts := r.Connect(context.Background(), servers)
	for _, st := range sts {
		if st.Err != nil {
			t.Fatalf("connecting %s: %v", st.Server, st.Err)
		}
	}
	return sts
}

// call calls server.tool by its raw names.
func call(t testing.TB, r *Registry, server, tool string, args string) (json.RawMessage, error) {
	t.Helper()
	return r.Call(context.Background(), toolID(server, tool), json.RawMessage(args))
}

// mustCall calls and fails the test on error.
func mustCall(t testing.TB, r *Registry, server, tool string, args string) string {
	t.Helper()
	out, err := call(t, r, server, tool, args)
	if err != nil {
		t.Fatalf("%s.%s(%s): %v", server, tool, args, err)
	}
	return string(out)
}

// loadCorpus reads testdata/NAME.tools.json as built-in tools of server
// NAME whose handler echoes the arguments.
func loadCorpus(t testing.TB, name string) []Tool {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name + ".tools.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Tools []wireTool `json:"tools"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	out := make([]Tool, len(list.Tools))
	for i, w := range list.Tools {
		out[i] = w.tool()
		out[i].Server = name
		out[i].Handler = func(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultStructured(args, string(args)), nil
		}
	}
	return out
}

// appendLine adds line to the file at path, so that a test can count how
// often the fake upstream refused to start.
func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}
