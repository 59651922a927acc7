//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// The built stdio server drops its mappings of the binary's read-only pages
// at its first idle trim (internal/exemap): startup leaves most of them
// resident, and soon after, with no execution yet, only a small part is.
// It serves on as before.
func TestStdioServerReleasesStartupPages(t *testing.T) {
	t.Setenv("GOGC", "") // GOGC=off would turn the idle trim off
	raw := startRawStdio(t, "serve", "--config", writeConfig(t, map[string]any{}, nil))
	exe, err := filepath.EvalSymlinks(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	// Once initialize is answered, startup has run (and mapped what it
	// touched): from then on, only a release brings the resident share under
	// a quarter.
	raw.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if id, body := raw.response(); id != "1" {
		t.Fatalf("response %s (%.200s) to initialize", id, body)
	}
	raw.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	deadline := time.Now().Add(testenv.Within(10 * time.Second))
	for {
		rss, size := readOnlyResident(t, raw.cmd.Process.Pid, exe)
		if rss*4 < size {
			t.Logf("%d of the binary's %d KB of read-only mappings resident", rss, size)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the binary's %d KB of read-only mappings still resident; want under a quarter after the first idle trim", rss, size)
		}
		time.Sleep(20 * time.Millisecond)
	}
	raw.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute","arguments":{"code":"return 6 * 7"}}}`)
	if id, body := raw.response(); id != "2" || !strings.Contains(body, "42") || strings.Contains(body, `"isError":true`) {
		t.Fatalf("response %s: %s; want execute's (2), 42", id, body)
	}
}

// readOnlyResident sums the Rss and the Size of process pid's read-only
// mappings of exe (/proc/PID/smaps), in KB.
func readOnlyResident(t *testing.T, pid int, exe string) (rss, size int64) {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ours := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 6 && strings.Contains(fields[0], "-") && len(fields[1]) == 4 {
			ours = strings.Join(fields[5:], " ") == exe && fields[1][1] != 'w'
			continue
		}
		if !ours || len(fields) != 3 || (fields[0] != "Rss:" && fields[0] != "Size:") {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			t.Fatalf("smaps: %q: %v", sc.Text(), err)
		}
		if fields[0] == "Rss:" {
			rss += kb
		} else {
			size += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if size == 0 {
		t.Fatalf("no read-only mapping of %s in /proc/%d/smaps", exe, pid)
	}
	return rss, size
}
