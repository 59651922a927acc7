package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// TestStdioListen: a 2026-07-28 client on stdio, which never initializes,
// learns of a tool change through its subscriptions/listen request: the
// acknowledgement, then notifications/tools/list_changed tagged with the
// request's id; after it cancels the request, no more.
func TestStdioListen(t *testing.T) {
	srv, _, _ := blockingServer(t, config.Codemode{})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeStdio(ctx, inR, outW, io.Discard) }()
	w := &wire{t: t, in: inW, out: make(chan map[string]any, 100)}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var m map[string]any
			_ = json.Unmarshal(sc.Bytes(), &m)
			w.out <- m
		}
	}()
	t.Cleanup(func() { inW.Close(); cancel(); <-served; outW.Close() })
	w.send(`{"jsonrpc":"2.0","id":"sub-1","method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
	if m := w.next(); m["method"] != mcp.MethodNotificationSubscriptionsAcknowledged {
		t.Fatalf("first message: %v; want the acknowledgement", m)
	}
	add := func(name string) {
		err := srv.reg.Add(tools.Tool{Server: "extra", Name: name, Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`"ok"`), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("one")
	m := w.next()
	meta, _ := m["params"].(map[string]any)["_meta"].(map[string]any)
	if m["method"] != string(mcp.MethodNotificationToolsListChanged) || meta[mcp.MetaKeySubscriptionID] != "sub-1" {
		t.Fatalf("after a tool change: %v; want tools/list_changed tagged with subscription sub-1", m)
	}
	w.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"sub-1"}}`)
	time.Sleep(100 * time.Millisecond)
	for len(w.out) > 0 { // the first change's other notices, if any
		<-w.out
	}
	add("two")
	select {
	case m := <-w.out:
		t.Errorf("after the subscription ended: %v", m)
	case <-time.After(300 * time.Millisecond):
	}
}
