package tools

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// maxLine bounds a buffered partial line; a child that writes megabytes
// without a newline is forwarded in pieces rather than held in memory.
const maxLine = 64 << 10

// syncWriter serialises whole lines from several upstreams onto one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) writeLine(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, line)
}

// lineWriter forwards an upstream's stderr line by line, each line prefixed
// with "[name] " and scrubbed of secrets. It never fails: a broken stderr
// must not break the child. It remembers the last line, which often says
// why a process died.
type lineWriter struct {
	out    *syncWriter
	prefix string
	red    *redactor

	mu   sync.Mutex
	buf  []byte
	last string
}

func newLineWriter(out *syncWriter, name string, red *redactor) *lineWriter {
	return &lineWriter{out: out, prefix: "[" + name + "] ", red: red}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) >= maxLine {
		w.emit(w.buf)
		w.buf = nil
	}
	return len(p), nil
}

// Flush forwards a final line that has no newline.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
}

// Last returns the last non-empty line forwarded, redacted.
func (w *lineWriter) Last() string {
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func (w *lineWriter) emit(raw []byte) {
	line := w.red.String(strings.TrimRight(string(raw), "\r"))
	if strings.TrimSpace(line) != "" {
		w.last = strings.TrimSpace(line)
	}
	w.out.writeLine(w.prefix + line + "\n")
}
