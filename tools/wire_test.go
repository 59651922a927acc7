package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// wireResults are tools/call results as upstreams write them: what
// decodeResult takes and what it leaves to mcp-go.
var wireResults = []struct {
	name string
	raw  string
	// taken: decodeResult decodes it (else mcp-go does).
	taken bool
}{
	{"plain text", `{"content":[{"type":"text","text":"hello"}]}`, true},
	{"text with escapes", `{"content":[{"type":"text","text":"line 1\nline \"2\"\t\\ \u0001 é 😀"}]}`, true},
	{"text JSON object", `{"content":[{"type":"text","text":"{\"a\":1,\"b\":[true,null]}"}]}`, true},
	{"text JSON with spaces", `{"content":[{"type":"text","text":" 42\n"}]}`, true},
	{"text starting with an escape", `{"content":[{"type":"text","text":"\n{\"a\":1}"}]}`, true},
	{"text starting with non-ASCII space", `{"content":[{"type":"text","text":"\u00a0[1]"}]}`, true},
	{"text of a big number", `{"content":[{"type":"text","text":"123456789012345678901234567890"}]}`, true},
	{"text of a number out of range", `{"content":[{"type":"text","text":"1e400"}]}`, true},
	{"invalid JSON text", `{"content":[{"type":"text","text":"{\"a\":"}]}`, true},
	{"empty text", `{"content":[{"type":"text","text":""}]}`, true},
	{"HTML escapes as mcp-go writes them", `{"content":[{"type":"text","text":"\u003cb\u003e \u0026"}]}`, true},
	{"escaped solidus and unicode", `{"content":[{"type":"text","text":"a\/b \u00e9 \u2028 \ud800"}]}`, true},
	{"upper-case control escape", `{"content":[{"type":"text","text":"a\u001Fb"}]}`, true},
	{"raw line separator", "{\"content\":[{\"type\":\"text\",\"text\":\"a\u2028b\"}]}", true},
	{"invalid UTF-8", "{\"content\":[{\"type\":\"text\",\"text\":\"a\xffb\"}]}", true},
	{"text with annotations and meta", `{"content":[{"type":"text","text":"x","annotations":{"priority":1},"_meta":{"k":"v"}}],"_meta":{"m":1}}`, true},
	{"texts joined", `{"content":[{"type":"text","text":"[1,"},{"type":"text","text":"2]"}]}`, true},
	{"texts joined as a string", `{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`, true},
	{"empty content", `{"content":[]}`, true},
	{"white space everywhere", " { \"content\" : [ { \"type\" : \"text\" , \"text\" : \"hi\" } ] , \"isError\" : false } ", true},
	{"structured", `{"content":[{"type":"text","text":"{\"n\":1}"}],"structuredContent":{"n":1, "deep":{"a":[1,2,{"b":"c"}]}}}`, true},
	{"structured only", `{"structuredContent":{"z":1,"a":2}}`, true},
	{"structured null", `{"content":[{"type":"text","text":"t"}],"structuredContent":null}`, true},
	{"image", `{"content":[{"type":"image","data":"aGk=","mimeType":"image/png"}]}`, true},
	{"mixed", `{"content":[{"type":"text","text":"see"},{"type":"image","data":"aGk=","mimeType":"image/png"}]}`, true},
	{"unknown keys", `{"content":[{"type":"text","text":"x","extra":[1,{"y":"}"}]}],"other":"]"}`, true},
	{"repeated text key", `{"content":[{"type":"text","text":"a","text":"b"}]}`, true},
	{"error", `{"content":[{"type":"text","text":"boom"}],"isError":true}`, false},
	{"asks for input", `{"resultType":"input_required","inputRequests":{}}`, false},
	{"content missing", `{}`, false},
	{"content null", `{"content":null}`, false},
	{"key in another case", `{"Content":[{"type":"text","text":"x"}]}`, false},
	{"text key in another case", `{"content":[{"type":"text","Text":"x"}]}`, false},
	{"text not a string", `{"content":[{"type":"text","text":null}]}`, false},
	{"type escaped", `{"content":[{"type":"t\u0065xt","text":"x"}]}`, false},
	{"content not an array", `{"content":{"type":"text"}}`, false},
}

// TestDecodeResultMatchesMCPGo: a result decodeResult takes unwraps to the
// same bytes as mcp-go's decoding of it, and one it leaves is left whole.
func TestDecodeResultMatchesMCPGo(t *testing.T) {
	for _, tt := range wireResults {
		t.Run(tt.name, func(t *testing.T) {
			raw := json.RawMessage(tt.raw)
			res, ok := decodeResult(raw)
			if ok != tt.taken {
				t.Fatalf("decodeResult took it: %v, want %v", ok, tt.taken)
			}
			if !ok {
				return
			}
			old, err := mcp.ParseCallToolResult(&raw)
			if err != nil {
				t.Fatalf("mcp-go: %v", err)
			}
			want, wantTE, wantErr := unwrap(old)
			got, gotTE, gotErr := unwrap(res)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("value (-mcp-go +ours)\n%s", diff)
			}
			if (wantTE == nil) != (gotTE == nil) || (wantErr == nil) != (gotErr == nil) {
				t.Errorf("errors: mcp-go %v %v, ours %v %v", wantTE, wantErr, gotTE, gotErr)
			}
			if diff := cmp.Diff(old.Meta, res.Meta); diff != "" {
				t.Errorf("_meta (-mcp-go +ours)\n%s", diff)
			}
			for i := range old.Content {
				w, _ := json.Marshal(old.Content[i])
				g, _ := json.Marshal(res.Content[i])
				if string(w) != string(g) {
					t.Errorf("content[%d]: mcp-go %s, ours %s", i, w, g)
				}
			}
		})
	}
}

// TestDecodeResultPassesText: a large text that cannot start JSON becomes
// the value as the JSON string it came in, not a copy.
func TestDecodeResultPassesText(t *testing.T) {
	text := strings.Repeat("line of text\n", 1000)
	lit, _ := json.Marshal(text)
	raw := json.RawMessage(`{"content":[{"type":"text","text":` + string(lit) + `}]}`)
	res, ok := decodeResult(raw)
	if !ok {
		t.Fatal("not taken")
	}
	v, _, _ := unwrap(res)
	if string(v) != string(lit) {
		t.Fatalf("value is not the text's JSON string")
	}
	if &v[0] != &raw[len(`{"content":[{"type":"text","text":`)] {
		t.Error("the value is a copy of the text, not the bytes received")
	}
}

// fakeTransport answers every request with result.
type fakeTransport struct {
	transport.Interface
	result json.RawMessage
}

func (f fakeTransport) SendRequest(context.Context, transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	return &transport.JSONRPCResponse{Result: f.result}, nil
}

// TestRawResultsSlot: a tools/call with a slot has its result kept there
// and the client gets an empty one; without a slot, or for another method,
// or a result left to mcp-go, the response is untouched.
func TestRawResultsSlot(t *testing.T) {
	text := json.RawMessage(`{"content":[{"type":"text","text":"hi"}]}`)
	input := json.RawMessage(`{"resultType":"input_required","inputRequests":{}}`)
	call := transport.JSONRPCRequest{Method: string(mcp.MethodToolsCall)}
	for _, tt := range []struct {
		name     string
		slot     bool
		req      transport.JSONRPCRequest
		result   json.RawMessage
		wantKept bool
	}{
		{"tools/call with a slot", true, call, text, true},
		{"tools/call without a slot", false, call, text, false},
		{"another method", true, transport.JSONRPCRequest{Method: "tools/list"}, text, false},
		{"a result for mcp-go", true, call, input, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, slot := context.Background(), (*rawSlot)(nil)
			if tt.slot {
				ctx, slot = withRawSlot(ctx)
			}
			resp, err := rawResults{Interface: fakeTransport{result: tt.result}}.SendRequest(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			kept := slot != nil && slot.res != nil
			if kept != tt.wantKept {
				t.Fatalf("kept in the slot: %v, want %v", kept, tt.wantKept)
			}
			want := tt.result
			if kept {
				want = emptyResult
			}
			if string(resp.Result) != string(want) {
				t.Errorf("the client gets %s, want %s", resp.Result, want)
			}
		})
	}
}

// TestSecretsInWireResults: redaction sees every string of an upstream's
// result decoded from its bytes, the text passed on as its JSON string
// included.
func TestSecretsInWireResults(t *testing.T) {
	all := strings.Join(secretForms, " ")
	structured, _ := json.Marshal(map[string]any{"v": secretForms, all: 1})
	results := map[string]*mcp.CallToolResult{
		"plain":      mcp.NewToolResultText("the token is " + secretTok + "\nand more"), // passed on as it came
		"forms":      mcp.NewToolResultText(all),
		"json":       mcp.NewToolResultText(`{"a":"` + secretTok + `","b":["` + all + `"]}`),
		"structured": mcp.NewToolResultStructured(json.RawMessage(structured), "see structuredContent"),
		"texts":      {Content: []mcp.Content{mcp.NewTextContent("a " + secretTok), mcp.NewTextContent(all)}},
	}
	s := server.NewMCPServer("leaky", "1.0.0")
	for name, res := range results {
		s.AddTool(mcp.NewTool(name), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return res, nil })
	}
	r := newTestRegistry(t, Options{Secrets: []string{secretTok}})
	must(t, r.AddMCPServer(context.Background(), "leaky", s))
	for name := range results {
		out, err := call(t, r, "leaky", name, `{}`)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if holdsSecret(string(out)) || !strings.Contains(string(out), Redacted) || !json.Valid(out) {
			t.Errorf("%s: %s", name, out)
		}
	}
}

// TestLineLimiterDiverts: while a tools/call waits, a large valid response
// to it is replaced in the stream by one with an empty result, and the
// result goes to the call; anything else passes as it came.
func TestLineLimiterDiverts(t *testing.T) {
	result := `{"content":[{"type":"text","text":"` + strings.Repeat("x", divertMin) + `"}]}`
	resp := func(id string) string { return `{"jsonrpc":"2.0","id":` + id + `,"result":` + result + `}` }
	standIn := `{"jsonrpc":"2.0","id":5,"result":{"content":[]}}` + "\n"
	small := `{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hi"}]}}`
	failed := `{"jsonrpc":"2.0","id":5,"error":{"code":1,"message":"` + strings.Repeat("y", divertMin) + `"}}`
	tests := []struct {
		name, in, want, diverted string
	}{
		{"the awaited response", resp("5") + "\n{}\n", standIn + "{}\n", result},
		{"its id last", `{"result":` + result + `,"id":5}` + "\n", standIn, result},
		{"a string id", resp(`"5"`) + "\n", resp(`"5"`) + "\n", ""},
		{"another id", resp("6") + "\n", resp("6") + "\n", ""},
		{"a small response", small + "\n", small + "\n", ""},
		{"an error", failed + "\n", failed + "\n", ""},
		{"invalid JSON", resp("5")[1:] + "\n", resp("5")[1:] + "\n", ""},
		{"a key in another case", strings.Replace(resp("5"), `"result"`, `"Result"`, 1) + "\n",
			strings.Replace(resp("5"), `"result"`, `"Result"`, 1) + "\n", ""},
	}
	id := mcp.NewRequestId(int64(5)).String()
	for _, tt := range tests {
		for _, src := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			l := newLineLimiter(src, 1<<20, slog.New(slog.DiscardHandler))
			l.await(id)
			got, err := io.ReadAll(iotest.HalfReader(l))
			if err != nil || string(got) != tt.want {
				t.Errorf("%s: got %.200q, %v\nwant %.200q", tt.name, got, err, tt.want)
			}
			if d := l.forget(id); string(d) != tt.diverted {
				t.Errorf("%s: diverted %.100q, want %.100q", tt.name, d, tt.diverted)
			}
		}
	}
}

// TestStdioLargeResultDiverted: a stdio upstream's large result reaches
// the caller whole, taken out of the stream before mcp-go reads it.
func TestStdioLargeResultDiverted(t *testing.T) {
	r := newTestRegistry(t, Options{})
	mustConnect(t, r, fakeServer("fake", map[string]string{"FAKE_BIG": "1"}))
	for _, n := range []int{1000, 300 << 10} {
		want, _ := json.Marshal(strings.Repeat("x", n))
		if got, err := call(t, r, "fake", "big", fmt.Sprintf(`{"bytes":%d}`, n)); err != nil || string(got) != string(want) {
			t.Errorf("%d bytes: got %.100s…, %v", n, got, err)
		}
	}
	if n := r.servers["fake"].up.conn.lines.taken.Load(); n != 1 {
		t.Errorf("%d results diverted, want 1 (the large one)", n)
	}
}

// TestCollectBeforeLargeResults: the garbage is collected before a large
// result's line is made once 8 MB of them were made since the last time,
// never for small ones.
func TestCollectBeforeLargeResults(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but collectBefore's
	largeSinceGC.Store(0)
	gcs := func() uint32 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.NumGC
	}
	n := gcs()
	for range 20 {
		collectBefore(1 << 20)
	}
	collectBefore(5 << 20)
	if gcs() != n {
		t.Fatalf("collected after 20 small results and one of 5 MB")
	}
	collectBefore(5 << 20)
	if gcs() == n {
		t.Fatalf("not collected before 10 MB of large results")
	}
}
