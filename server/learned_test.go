package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/learn"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// learningServer serves one tool, shop.orders, that declares no
// outputSchema and returns what result says.
func learningServer(t *testing.T, limits config.Codemode, result *string) (*Server, *tools.Registry, *learn.Book) {
	t.Helper()
	book := learn.NewBook(learn.BookOptions{})
	t.Cleanup(func() { book.Close() })
	reg := tools.NewRegistry(tools.Options{Learn: book})
	t.Cleanup(func() { reg.Close() })
	must(t, reg.Add(tools.NewTool("shop", "orders", "List the orders", nil,
		func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(*result), nil
		})))
	return New(reg, Options{Limits: limits}), reg, book
}

func callTool(t *testing.T, reg *tools.Registry, book *learn.Book, subject string) {
	t.Helper()
	if _, err := reg.Call(tools.WithSubject(context.Background(), subject), "shop\x00orders", nil); err != nil {
		t.Fatal(err)
	}
	book.Sync()
}

// waitDescription waits for the execute description to satisfy ok.
func waitDescription(t *testing.T, s *Server, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(testenv.Within(2 * time.Second))
	for {
		s.announceMu.Lock()
		d := s.announced
		s.announceMu.Unlock()
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("the announced description never %s:\n%s", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLearnedDescription(t *testing.T) {
	result := `{"orders":[{"id":1,"total":9.5}]}`
	s, reg, book := learningServer(t, config.Codemode{}, &result)
	if d := s.Description(); !strings.Contains(d, "orders(args?: {}): Promise<unknown>;") {
		t.Fatalf("before any result:\n%s", d)
	}
	callTool(t, reg, book, "")
	want := "/** List the orders @returns observed in 1 result, not declared by the server */\n" +
		"orders(args?: {}): Promise<{ orders: { id: number; total: number }[] }>;"
	d := waitDescription(t, s, "showed the learned type", func(d string) bool { return strings.Contains(d, want) })

	// More results of the same shape change no text: not even the count.
	s.learned.mu.Lock()
	s.learned.every = time.Hour
	s.learned.mu.Unlock()
	callTool(t, reg, book, "")
	callTool(t, reg, book, "")
	if got := s.Description(); got != d {
		t.Errorf("a result that changed no type changed the description:\n%s", got)
	}
	// search_tools shows the count as it is.
	res, err := s.handleSearch(context.Background(), searchRequest("orders"))
	if err != nil {
		t.Fatal(err)
	}
	if text := res.Content[0].(mcp.TextContent).Text; !strings.Contains(text, "observed in 3 results") {
		t.Errorf("search_tools:\n%s", text)
	}

	// A new shape is shown at most once per learnEvery: not yet.
	result = `{"orders":[],"next":"cursor"}`
	callTool(t, reg, book, "")
	s.learned.mu.Lock()
	pending := s.learned.timer != nil
	s.learned.mu.Unlock()
	if !pending || s.Description() != d {
		t.Errorf("a second change within learnEvery was shown at once (pending %v)", pending)
	}
	s.showLearned()
	waitDescription(t, s, "showed the widened type", func(d string) bool {
		return strings.Contains(d, "Promise<{ orders: { id: number; total: number }[]; next?: string }>")
	})
}

// With codemode.auth the description, which every tenant reads, shows no
// learned type; each subject's search and describe show its own.
func TestLearnedPerSubject(t *testing.T) {
	result := `{"secret_plan":{"step":1}}`
	s, reg, book := learningServer(t, config.Codemode{Auth: &config.Auth{Tokens: []string{"x"}}}, &result)
	callTool(t, reg, book, "alice")
	s.showLearned()
	if d := s.Description(); strings.Contains(d, "secret_plan") || !strings.Contains(d, "Promise<unknown>") {
		t.Errorf("the shared description shows a tenant's learned type:\n%s", d)
	}
	alice := tools.WithSubject(context.Background(), "alice")
	bob := tools.WithSubject(context.Background(), "bob")
	for ctx, want := range map[context.Context]bool{alice: true, bob: false} {
		res, err := s.handleSearch(ctx, searchRequest("orders"))
		if err != nil {
			t.Fatal(err)
		}
		if text := res.Content[0].(mcp.TextContent).Text; strings.Contains(text, "secret_plan") != want {
			t.Errorf("%s's search_tools (want the learned type: %v):\n%s", tools.Subject(ctx), want, text)
		}
	}
}

func searchRequest(query string) mcp.CallToolRequest {
	var req mcp.CallToolRequest
	req.Params.Name = "search_tools"
	req.Params.Arguments = map[string]any{"query": query}
	return req
}
