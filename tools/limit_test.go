package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// bigTool answers with a text of the given number of bytes.
func bigTool() (mcp.Tool, server.ToolHandlerFunc) {
	return mcp.NewTool("big", mcp.WithNumber("bytes", mcp.Required())),
		func(_ context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(strings.Repeat("x", int(r.GetFloat("bytes", 0)))), nil
		}
}

func TestLineLimiter(t *testing.T) {
	long := strings.Repeat("x", 100)
	reply := func(id string) string {
		return `{"error":{"code":-32099,"message":"the response is larger than 40 bytes; it was dropped unread"},"id":` + id + `,"jsonrpc":"2.0"}` + "\n"
	}
	response := `{"jsonrpc":"2.0","id":7,"result":"` + long + `"}`
	stringID := `{"id":"a\"b","error":{"message":"` + long + `"}}`
	notification := `{"method":"notifications/message","params":"` + long + `"}`
	request := `{"id":3,"method":"sampling/createMessage","params":"` + long + `"}`
	idLast := `{"result":"` + long + `","id":1}`
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"short lines pass", "{\"a\":1}\n\n{\"b\":2}\n", "{\"a\":1}\n\n{\"b\":2}\n", nil},
		{"a response with its id first", response + "\n{}\n", response[:40] + "\n" + reply("7") + "{}\n", nil},
		{"a string id", stringID + "\n", stringID[:40] + "\n" + reply(`"a\"b"`), nil},
		{"a notification is dropped", notification + "\n{}\n", notification[:40] + "\n{}\n", nil},
		{"a request is dropped", request + "\n", request[:40] + "\n", nil},
		{"a response without its id first ends the stream", idLast + "\n{}\n", idLast[:40] + "\n", errUnanswerable},
		{"not JSON", long + "\n", long[:40] + "\n", nil},
		{"exactly the bound", long[:40] + "\n", long[:40] + "\n", nil},
	}
	for _, tt := range tests {
		for _, src := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			l := newLineLimiter(src, 40, slog.New(slog.DiscardHandler))
			got, err := io.ReadAll(iotest.HalfReader(l))
			if string(got) != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("%s:\n got %q, %v\nwant %q, %v", tt.name, got, err, tt.want, tt.err)
			}
		}
	}
}

// allocated returns how many bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestStdioResultBound: a stdio upstream answers with 32 MB where a result
// may have 1 MB. The call fails naming the bound, the server reads the
// result as it streams instead of holding it (before: the call allocated
// 384 MB, twelve times the result; now 3 MB), and the connection carries
// on: the next call is answered by the same process.
func TestStdioResultBound(t *testing.T) {
	r := newTestRegistry(t, Options{MaxResultBytes: 1 << 20})
	srv := fakeServer("fake", map[string]string{"FAKE_BIG": "1"})
	srv.Timeout = testenv.Within(15 * time.Second) // 32 MB through a pipe, on a busy machine
	mustConnect(t, r, srv)
	want := `fake.big: upstream "fake": the result of big is larger than 1048576 bytes, the most a script can take; ` +
		`it was dropped unread (ask the tool for less: a page, a filter, fewer fields)`
	var err error
	n := allocated(func() { _, err = call(t, r, "fake", "big", `{"bytes":33554432}`) })
	if err == nil || err.Error() != want {
		t.Errorf("a 32 MB result:\n got %v\nwant %s", err, want)
	}
	t.Logf("a 32 MB result allocated %d MB in the server", n>>20)
	if n > 16<<20 {
		t.Errorf("a 32 MB result allocated %d MB in the server; want at most 16 MB", n>>20)
	}
	pid := r.servers["fake"].up.conn.cmd.Process.Pid
	if got := mustCall(t, r, "fake", "echo", `{"text":"still here"}`); !strings.Contains(got, "still here") {
		t.Errorf("echo after a dropped result: %s", got)
	}
	if got := mustCall(t, r, "fake", "big", `{"bytes":1000}`); !strings.Contains(got, strings.Repeat("x", 1000)) {
		t.Errorf("a small result after a dropped one: %.100s", got)
	}
	if r.servers["fake"].up.conn.cmd.Process.Pid != pid {
		t.Error("the upstream was restarted after a result too large")
	}
}

// TestHTTPResultBound: a streamable HTTP upstream streams a 32 MB result;
// the call fails naming the bound after reading 1 MB of it (before: 128
// MB allocated, up to mcp-go's own 32 MB bound, and the connection was
// dropped as broken; now 4 MB), and the upstream stays connected.
func TestHTTPResultBound(t *testing.T) {
	s := server.NewMCPServer("fake", "1.0.0", server.WithToolCapabilities(true))
	s.AddTool(bigTool())
	mcpHandler := server.NewStreamableHTTPServer(s)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Arguments struct{ Bytes int } `json:"arguments"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &msg) == nil && msg.Method == "tools/call" && msg.Params.Arguments.Bytes > 1<<20 {
			streamBig(w, msg.ID, msg.Params.Arguments.Bytes) // as the server would, without holding it
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		mcpHandler.ServeHTTP(w, req)
	}))
	t.Cleanup(ts.Close)
	r := newTestRegistry(t, Options{MaxResultBytes: 1 << 20})
	mustConnect(t, r, config.Server{Name: "web", Type: config.HTTP, URL: ts.URL})
	want := `web.big: upstream "web": the result of big is larger than 1048576 bytes, the most a script can take; ` +
		`it was dropped unread (ask the tool for less: a page, a filter, fewer fields)`
	var err error
	n := allocated(func() { _, err = call(t, r, "web", "big", `{"bytes":33554432}`) })
	if err == nil || err.Error() != want {
		t.Errorf("a 32 MB result:\n got %v\nwant %s", err, want)
	}
	t.Logf("a 32 MB result allocated %d MB in the server", n>>20)
	if n > 16<<20 {
		t.Errorf("a 32 MB result allocated %d MB in the server; want at most 16 MB", n>>20)
	}
	if got := mustCall(t, r, "web", "big", `{"bytes":1000}`); !strings.Contains(got, strings.Repeat("x", 1000)) {
		t.Errorf("a small result after a dropped one: %.100s", got)
	}
}

// streamBig writes a tools/call response with a text of n bytes, in
// pieces.
func streamBig(w http.ResponseWriter, id json.RawMessage, n int) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"`, id)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for ; n > 0; n -= len(chunk) {
		if _, err := w.Write(chunk[:min(n, len(chunk))]); err != nil {
			return
		}
	}
	io.WriteString(w, `"}]}}`)
}

// FuzzLineLimiter: whatever an upstream writes, no line handed to the
// transport is longer than the bound (a reply for a dropped response is
// bounded by its head), and a stream of short lines passes unchanged.
func FuzzLineLimiter(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`+"\n"), 16)
	f.Add([]byte(`{"id":{"a":[1,2]},"error":"`+strings.Repeat("y", 100)+"\"}\n{}\n"), 20)
	f.Add([]byte("\n\n\n"+strings.Repeat("z", 50)), 1)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		max = 1 + max&0xff
		l := newLineLimiter(iotest.OneByteReader(bytes.NewReader(in)), max, slog.New(slog.DiscardHandler))
		out, _ := io.ReadAll(l)
		for line := range bytes.Lines(out) {
			line = bytes.TrimSuffix(line, []byte("\n"))
			if len(line) > max && !bytes.HasPrefix(line, []byte(`{"error":{"code":-32099,`)) {
				t.Fatalf("a line of %d bytes passed a bound of %d: %.80q", len(line), max, line)
			}
			if len(line) > max+headBytes+200 {
				t.Fatalf("a reply of %d bytes", len(line))
			}
		}
		short := true
		for line := range bytes.Lines(in) {
			short = short && len(bytes.TrimSuffix(line, []byte("\n"))) <= max
		}
		if short && !bytes.Equal(out, in) {
			t.Fatalf("short lines changed:\n in %q\nout %q", in, out)
		}
	})
}
