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
	cmd := exec.Command(binary(t), "--config", config)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	stderr := &testenv.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	send := func(msg string) {
		if _, err := io.WriteString(stdin, msg+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
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
	stdin.Close()
	cmd.Wait()
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
