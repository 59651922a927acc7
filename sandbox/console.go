package sandbox

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// truncatedLine ends the logs once Options.MaxLogBytes is reached.
const truncatedLine = "… (console output truncated)"

// consoleMethods are the console methods with the prefix of their lines:
// warnings and errors are marked, the rest are printed as they are.
var consoleMethods = []struct{ name, prefix string }{
	{"log", ""}, {"info", ""}, {"debug", ""}, {"warn", "[warn] "}, {"error", "[error] "},
}

// journal records console lines. It is shared by the runtime goroutine and
// Run: once closed (when Run returns), nothing more is recorded or reported,
// even by an abandoned runtime.
type journal struct {
	mu        sync.Mutex
	lines     []string
	size, max int
	truncated bool
	closed    bool
	onLog     func(string)
}

// add records a line, cutting it and adding truncatedLine when the logs
// reach their cap. Each line counts one byte more, for the newline that will
// join it to the next, so the joined kept lines fit in max.
func (j *journal) add(line string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed || j.truncated {
		return
	}
	if room := j.max - j.size - 1; len(line) > room {
		j.truncated = true
		if cut := cutUTF8(line, room); cut != "" {
			j.emit(cut)
		}
		j.emit(truncatedLine)
		return
	}
	j.size += len(line) + 1 // count the newline that will join the lines
	j.emit(line)
}

func (j *journal) emit(line string) {
	j.lines = append(j.lines, line)
	if j.onLog != nil {
		j.onLog(line)
	}
}

// full reports whether further lines would be dropped.
func (j *journal) full() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed || j.truncated
}

// whileOpen runs f unless the journal is closed, holding it open meanwhile.
func (j *journal) whileOpen(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.closed {
		f()
	}
}

// close ends recording and returns the lines.
func (j *journal) close() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	if j.lines == nil {
		return []string{}
	}
	return j.lines
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// newConsole makes the console global (lazyGlobal).
func (x *execution) newConsole() *goja.Object {
	c := x.rt.NewObject()
	for _, m := range consoleMethods {
		c.CreateDataProperty(m.name, x.native(m.name, nil, x.consoleMethod(m.prefix))) // no accessor on Object.prototype takes it
	}
	return c
}

// consoleMethod prints its arguments joined by spaces (see prelude.js
// format for how each is printed).
func (x *execution) consoleMethod(prefix string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		if x.journal.full() {
			return goja.Undefined()
		}
		h, err := x.help()
		if err != nil {
			panic(err) // an interrupt, or the code's stack is full: thrown
		}
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			s, err := h.format(goja.Undefined(), a, x.rt.ToValue(x.opts.MaxLogBytes))
			if err != nil {
				panic(err) // format never throws: this is an interrupt
			}
			parts[i] = s.String()
		}
		x.journal.add(prefix + strings.Join(parts, " "))
		return goja.Undefined()
	}
}
