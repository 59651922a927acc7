package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/learn"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

func TestLearnedTypes(t *testing.T) {
	book := learn.NewBook(learn.BookOptions{})
	defer book.Close()
	r := NewRegistry(Options{Learn: book, Secrets: []string{"hunter2-secret"}})
	defer r.Close()
	text := func(s string) Handler {
		return func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(s), nil
		}
	}
	declared := NewTool("n", "declared", "", nil, text(`{"a":1}`))
	declared.OutputSchema = json.RawMessage(`{"type":"object"}`)
	if err := r.Add(NewTool("n", "items", "", nil, text(`{"items":[{"id":1,"name":"hunter2-secret"}]}`)), declared); err != nil {
		t.Fatal(err)
	}
	alice := WithSubject(context.Background(), "alice")
	for _, id := range []string{toolID("n", "items"), toolID("n", "declared")} {
		if _, err := r.Call(alice, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	book.Sync()
	got := typegen.Declarations(r.NamespacesFor("alice", false), typegen.Options{})
	want := "declare const n: {\ndeclared(args?: {}): Promise<{ [k: string]: unknown }>;\n" +
		"/** @returns observed in 1 result, not declared by the server */\nitems(args?: {}): Promise<{ items: { id: number; name: string }[] }>;\n};\n"
	if got != want {
		t.Errorf("alice's declarations:\n%s\nwant\n%s", got, want)
	}
	if other := typegen.Declarations(r.NamespacesFor("bob", false), typegen.Options{}); strings.Contains(other, "observed") {
		t.Errorf("bob sees alice's learned types:\n%s", other)
	}
	if r.LearnedVersion("alice") == 0 || r.LearnedVersion("bob") != 0 {
		t.Errorf("versions: alice %d, bob %d", r.LearnedVersion("alice"), r.LearnedVersion("bob"))
	}
}

func TestNotLearning(t *testing.T) {
	r := NewRegistry(Options{})
	defer r.Close()
	if err := r.Add(NewTool("n", "t", "", nil, func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(`{"a":1}`), nil
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Call(context.Background(), toolID("n", "t"), nil); err != nil {
		t.Fatal(err)
	}
	if got := typegen.Declarations(r.NamespacesFor("", true), typegen.Options{}); !strings.Contains(got, "Promise<unknown>") {
		t.Errorf("without a Book:\n%s", got)
	}
}
