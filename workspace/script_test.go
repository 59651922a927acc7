package workspace_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// TestScriptCatchesStoreError: a script whose workspace call meets a
// stopped PostgreSQL catches an error named StoreError, and the execution
// itself carries on.
func TestScriptCatchesStoreError(t *testing.T) {
	srv := testenv.PostgresServer(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), store.Options{URL: srv.NewDatabase(t), ConnectTimeout: time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := tools.NewRegistry(tools.Options{Logger: quiet, Stderr: io.Discard})
	defer reg.Close()
	if err := reg.Add(workspace.New(st, workspace.Limits{}).Tools()...); err != nil {
		t.Fatal(err)
	}
	s := server.New(reg, server.Options{Logger: quiet})
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	res := s.Execute(context.Background(), `try {
  await workspace.write_file({ path: "a.txt", content: "x" });
  return "written";
} catch (e) {
  return [e.name, e.message, e instanceof Error];
}`)
	if res.Err != nil {
		t.Fatalf("the execution failed: %v", res.Err)
	}
	t.Logf("the script caught %s", res.Value)
	const want = `["StoreError","the workspace is unavailable: the database is unreachable: `
	if got := string(res.Value); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, `; try again",true]`) {
		t.Errorf("the script caught %s\nwant %s…; try again\",true]", got, want)
	}
}
