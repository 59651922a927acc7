package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestStdioHygiene checks the rule Claude Desktop depends on: stdout carries
// nothing but MCP JSON-RPC messages, even when the script logs and an
// upstream writes to its stderr. Everything else goes to stderr.
func TestStdioHygiene(t *testing.T) {
	servers := upstreams(t)
	config := writeConfig(t, map[string]any{"testup": servers["testup"]}, nil)
	raw := startRawStdio(t, "--config", config)
	send, lines, stderr := raw.send, raw.lines, raw.stderr
	var seen []string
	waitFor := func(id int) {
		t.Helper()
		timeout := time.After(testenv.Within(30 * time.Second))
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stdout closed before response %d; stderr:\n%s", id, stderr.String())
				}
				seen = append(seen, l)
				if strings.Contains(l, fmt.Sprintf(`"id":%d`, id)) {
					return
				}
			case <-timeout:
				t.Fatalf("no response %d; stderr:\n%s", id, stderr.String())
			}
		}
	}

	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	waitFor(1)
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute","arguments":{"code":"console.log('to the log'); console.error('an error line'); await testup.noise({}); return 'done'"}}}`)
	waitFor(2)
	send(`this is not JSON`)
	send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"execute","arguments":{"code":"return 3"}}}`)
	waitFor(3)
	raw.in.Close()
	raw.cmd.Wait()
	for l := range lines {
		seen = append(seen, l)
	}

	for _, l := range seen {
		var msg struct {
			JSONRPC string `json:"jsonrpc"`
		}
		if err := json.Unmarshal([]byte(l), &msg); err != nil || msg.JSONRPC != "2.0" {
			t.Errorf("stdout line is not a JSON-RPC message: %q", l)
		}
	}
	if !strings.Contains(seen[len(seen)-1], `"id":3`) && !strings.Contains(strings.Join(seen, "\n"), `"id":3`) {
		t.Errorf("no answer after a malformed line")
	}
	if !strings.Contains(stderr.String(), "[testup] noise on stderr") {
		t.Errorf("upstream stderr not forwarded with its name; stderr:\n%s", stderr.String())
	}
}

// rawStdio is the built binary serving stdio, spoken to a JSON-RPC line at
// a time, without a client library.
type rawStdio struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	lines  chan string // stdout, a line each; closed when it ends
	stderr *testenv.Buffer
}

// startRawStdio starts the binary with args; it is killed at the end of
// the test.
func startRawStdio(t *testing.T, args ...string) *rawStdio {
	t.Helper()
	r := &rawStdio{t: t, cmd: exec.Command(binary(t), args...), lines: make(chan string, 100), stderr: &testenv.Buffer{}}
	r.cmd.Stderr = r.stderr
	in, err := r.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.in = in
	t.Cleanup(func() { r.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	return r
}

// send writes one message, and its newline.
func (r *rawStdio) send(msg string) {
	if _, err := io.WriteString(r.in, msg+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

// response returns the id of the next response (notifications are
// skipped) and its result or error.
func (r *rawStdio) response() (id, body string) {
	r.t.Helper()
	timeout := time.After(testenv.Within(30 * time.Second))
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("the server ended; stderr:\n%s", r.stderr.String())
			}
			var m struct {
				ID     json.RawMessage `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  json.RawMessage `json:"error"`
			}
			if json.Unmarshal([]byte(l), &m) == nil && len(m.ID) > 0 {
				return string(m.ID), string(m.Result) + string(m.Error)
			}
		case <-timeout:
			r.t.Fatalf("no response; stderr:\n%s", r.stderr.String())
		}
	}
}
