package tools

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// junkWatch passes a stdio server's stdout through and remembers the lines
// that cannot be JSON-RPC messages (they do not start with "{" or "["). A
// server that logs to stdout instead of stderr never answers initialize,
// and a timeout alone would not say why; mcp-go skips such lines quietly.
type junkWatch struct {
	r io.Reader

	mu    sync.Mutex
	start bool   // at the start of a line (before its first non-blank byte)
	bad   bool   // within a line that is not a message
	lines int    // such lines
	first []byte // the start of the first one
}

// junkSample bounds what is kept of the first line.
const junkSample = 120

func (j *junkWatch) Read(p []byte) (int, error) {
	n, err := j.r.Read(p)
	j.scan(p[:n])
	return n, err
}

func (j *junkWatch) scan(b []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for len(b) > 0 {
		if !j.start && !(j.bad && j.lines == 1 && len(j.first) < junkSample) {
			i := bytes.IndexByte(b, '\n') // skip the rest of the line
			if i < 0 {
				return
			}
			b, j.start, j.bad = b[i+1:], true, false
			continue
		}
		c := b[0]
		b = b[1:]
		switch {
		case c == '\n':
			j.start, j.bad = true, false
		case j.start && (c == ' ' || c == '\t' || c == '\r'):
		case j.start:
			j.start = false
			if c != '{' && c != '[' {
				j.bad = true
				j.lines++
				if j.lines == 1 {
					j.first = append(j.first, c)
				}
			}
		default:
			j.first = append(j.first, c)
		}
	}
}

// String says what was seen, or "" when every line looked like a message.
func (j *junkWatch) String() string {
	if j == nil {
		return ""
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.lines == 0 {
		return ""
	}
	first := string(bytes.TrimRight(j.first, "\r"))
	if len(j.first) >= junkSample {
		first += "…"
	}
	return fmt.Sprintf("it wrote %d line(s) to stdout that are not JSON-RPC messages, the first: %q; "+
		"a stdio server must write only protocol messages to stdout (its logs belong on stderr)", j.lines, first)
}
