package sandbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// Error is what the model's code did wrong. Name is the JS error name
// (SyntaxError, TypeError, ToolError, RangeError, TimeoutError, Error, ...).
type Error struct {
	Name    string
	Message string
	Line    int    // in the model's own code, 1-based; 0 unknown
	Column  int    // in the model's own code, 1-based; 0 unknown
	Stack   string // "at fn (line L, column C)" lines in the model's code, innermost first; may be empty
}

// Error returns "Name: Message (line L, column C)", leaving out what is unknown.
func (e *Error) Error() string {
	s := e.Name
	if e.Message != "" {
		s += ": " + e.Message
	}
	switch {
	case e.Line > 0 && e.Column > 0:
		s += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Column)
	case e.Line > 0:
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	return s
}

// Names of the JS errors the project raises (Error.Name, and the name of a
// Caller error, see NamedError). Exported so that every package raising one
// (the process layer, the server, the tools, egress) spells it the same way,
// and so that code classifying errors by name can find who raises each.
const (
	// The sandbox's own: the run was stopped, or something broke outside the script.
	NameInternal    = "InternalError"    // a bug or panic outside the script
	NameTimeout     = "TimeoutError"     // Options.Timeout passed, ctx's deadline, or a fetch's timeout
	NameCancelled   = "CancelledError"   // ctx was cancelled
	NameMemoryLimit = "MemoryLimitError" // Options.MemoryLimit exceeded, or no memory to admit the run

	// JavaScript's built-in errors, raised as a script raises them: an
	// instance of the built-in constructor of that name.
	NameError     = "Error"          // a plain error, and a Caller error without a name
	NameType      = "TypeError"      // a value of the wrong shape: arguments, a refused fetch
	NameRange     = "RangeError"     // a limit: tool calls, sizes, timers, stack depth
	NameSyntax    = "SyntaxError"    // code that does not compile, a bad RegExp
	NameReference = "ReferenceError" // a name that is not defined: a binding, a snippet

	// The project's own names for a failed tool call (an Error whose name is set).
	NameTool     = "ToolError"     // the tool marked its result isError
	NameUpstream = "UpstreamError" // the upstream server could not make the call
	NameStore    = "StoreError"    // a built-in tool's database failed
	NameHTTP     = "HttpError"     // an OpenAPI operation answered with an error status
	NameApproval = "ApprovalError" // the user declined a call, or could not be asked
	NameReplay   = "ReplayError"   // a resumed run took another path than its journal
	NameBusy     = "BusyError"     // admission turned the execution or snippet away
)

// NamedError is an error with a JS name: a Caller returns one to have the
// call reject with an error of that name (see "Errors" in the package doc).
// Types that carry more than a name and a message implement ErrorName
// themselves.
type NamedError struct {
	Name    string // one of the Name constants, or any other name
	Message string // the JS error's message, as written
}

// NewError returns an error the sandbox throws into the script as a JS error
// named name (a built-in one for the built-in names) with message msg.
func NewError(name, msg string) error { return &NamedError{Name: name, Message: msg} }

// Error returns the message alone: the name is the script's to see.
func (e *NamedError) Error() string { return e.Message }

// ErrorName is the name of the JS error the sandbox throws.
func (e *NamedError) ErrorName() string { return e.Name }

func internalError(r any) *Error {
	return &Error{Name: NameInternal, Message: fmt.Sprintf("internal error: %v", r)}
}

func timeoutError(d time.Duration) *Error {
	return &Error{Name: NameTimeout, Message: "execution timed out after " + shortDuration(d)}
}

// shortDuration is d.String() without zero minutes or seconds: "1m", not "1m0s".
func shortDuration(d time.Duration) string {
	s := strings.TrimSuffix(d.String(), "m0s")
	if s != d.String() {
		s += "m"
	}
	if t := strings.TrimSuffix(s, "h0m"); t != s {
		s = t + "h"
	}
	return s
}

// stopError describes why ctx ended the run.
func stopError(ctx context.Context) *Error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		return &Error{Name: NameTimeout, Message: "execution timed out: the request's deadline passed"}
	case cause == nil || errors.Is(cause, context.Canceled):
		return &Error{Name: NameCancelled, Message: "execution cancelled"}
	}
	return &Error{Name: NameCancelled, Message: "execution cancelled: " + cause.Error()}
}

// maxStackFrames bounds Error.Stack, which deep recursion would flood.
const maxStackFrames = 10

// frame is one stack frame in the model's own code.
type frame struct {
	fn           string
	line, column int
}

// stackLine matches one frame of a goja stack string:
// "\tat name (file:line:col(pc))" or "\tat file:line:col(pc)".
var stackLine = regexp.MustCompile(`^\s*at (?:(.*) \()?([^()]*):(\d+):(\d+)\(\d+\)\)?\s*$`)

// framesFromString keeps the frames of a JS stack string that are in the
// model's code.
func (s *script) framesFromString(stack string) []frame {
	var out []frame
	for _, l := range strings.Split(stack, "\n") {
		m := stackLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[3])
		col, _ := strconv.Atoi(m[4])
		if line, col = s.mapped(m[2], line, col); line > 0 {
			out = append(out, frame{fn: m[1], line: line, column: col})
		}
	}
	return out
}

// framesFromGo keeps the frames of a goja stack that are in the model's code.
func (s *script) framesFromGo(stack []goja.StackFrame) []frame {
	var out []frame
	for i := range stack {
		p := stack[i].Position()
		if line, col := s.mapped(p.Filename, p.Line, p.Column); line > 0 {
			fn := stack[i].FuncName()
			if fn == "<anonymous>" {
				fn = ""
			}
			out = append(out, frame{fn: fn, line: line, column: col})
		}
	}
	return out
}

// locate sets e's position and stack from frames, unless already known.
func (e *Error) locate(frames []frame) {
	if len(frames) == 0 || e.Line > 0 {
		return
	}
	e.Line, e.Column = frames[0].line, frames[0].column
	var b strings.Builder
	for i, f := range frames {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i == maxStackFrames {
			fmt.Fprintf(&b, "… %d more", len(frames)-i)
			break
		}
		if f.fn != "" {
			fmt.Fprintf(&b, "at %s (line %d, column %d)", f.fn, f.line, f.column)
		} else {
			fmt.Fprintf(&b, "at line %d, column %d", f.line, f.column)
		}
	}
	e.Stack = b.String()
}

// errorFromGo converts an error returned by a goja call.
func (x *execution) errorFromGo(err error) *Error {
	var (
		intr *goja.InterruptedError
		so   *goja.StackOverflowError
		ex   *goja.Exception
	)
	var e *Error
	switch {
	case errors.As(err, &intr):
		e = x.stopReason()
		e.locate(x.script.framesFromGo(intr.Stack()))
	case errors.As(err, &so):
		e = &Error{Name: NameRange, Message: "Maximum call stack size exceeded"}
		e.locate(x.script.framesFromGo(so.Stack()))
	case errors.As(err, &ex):
		e = x.errorFromValue(ex.Value())
		e.locate(x.script.framesFromGo(ex.Stack()))
	default:
		e = internalError(err)
	}
	return e
}

// stopReason is why the run was stopped; a copy, so locating it is safe.
func (x *execution) stopReason() *Error {
	<-x.stopped
	if x.reason == nil {
		return internalError("interrupted without a reason")
	}
	e := *x.reason
	return &e
}

// errorFromValue converts a thrown or rejected JS value. The description is
// made in JS (prelude.js describe) so that hostile getters cannot panic here.
func (x *execution) errorFromValue(v goja.Value) *Error {
	h, err := x.help()
	var d goja.Value
	if err == nil {
		d, err = h.describe(goja.Undefined(), v)
	}
	if err != nil {
		return x.errorFromGoOnce(err)
	}
	parts, _ := d.Export().([]any)
	if len(parts) != 3 {
		return internalError("describing a thrown value")
	}
	name, _ := parts[0].(string)
	msg, _ := parts[1].(string)
	stack, _ := parts[2].(string)
	e := &Error{Name: name, Message: msg}
	if obj, ok := v.(*goja.Object); ok {
		if f, ok := x.origins[obj]; ok {
			e.locate([]frame{f})
		}
	}
	e.locate(x.script.framesFromString(stack))
	if !x.hintTools(e) {
		x.suggest(e)
	}
	x.hint(e)
	return e
}

var (
	noMember   = regexp.MustCompile(`^Object has no member '([^']*)'$`)
	notDefined = regexp.MustCompile(`^([\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_]*) is not defined$`)
)

// suggest adds the closest binding to an error a misspelt one causes:
// "Object has no member 'create_isue'; did you mean github.create_issue?",
// "githb is not defined; did you mean github?". goja does not say which
// object lacked the member, so every namespace's methods are candidates.
func (x *execution) suggest(e *Error) {
	var want string
	var names []string
	switch m := noMember.FindStringSubmatch(e.Message); {
	case e.Name == NameType && m != nil:
		want = m[1]
		for _, b := range x.opts.Bindings {
			names = append(names, b.Method)
		}
	default:
		m = notDefined.FindStringSubmatch(e.Message)
		if e.Name != NameReference || m == nil {
			return
		}
		want = m[1]
		for _, b := range x.opts.Bindings {
			names = append(names, b.Object)
		}
	}
	var paths []string
	for _, n := range Closest(want, names, 3) {
		for _, b := range x.opts.Bindings {
			p := b.Object
			switch {
			case e.Name == NameReference && b.Object == n:
			case e.Name == NameType && b.Method == n:
				p += "." + b.Method
			default:
				continue
			}
			if len(paths) < 3 && !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) > 0 {
		e.Message += "; did you mean " + strings.Join(paths, ", ") + "?"
	}
}

// Closest returns up to n of names nearest to want by edit distance
// (ignoring case), nearest first: those at most one further than the
// nearest, and none too far to be a misspelling (more than a third of
// want's length, and at least 1, away; but never all of it).
func Closest(want string, names []string, n int) []string {
	type scored struct {
		name string
		d    int
	}
	limit := max(1, len([]rune(want))/3)
	if len([]rune(want)) <= limit {
		limit = len([]rune(want)) - 1 // "f" is no misspelling of "a"
	}
	lw := strings.ToLower(want)
	var out []scored
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] || name == want {
			continue
		}
		seen[name] = true
		if d := editDistance(lw, strings.ToLower(name), limit); d <= limit {
			out = append(out, scored{name, d})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	names = nil
	for _, s := range out {
		if len(names) == n || s.d > out[0].d+1 {
			break // the nearest, and those about as near
		}
		names = append(names, s.name)
	}
	return names
}

// editDistance is the Levenshtein distance between a and b, or limit+1
// once it is sure to exceed limit (names can be long: the rows stay short
// work when they are far apart).
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// errorFromGoOnce converts an error met while converting an error, without
// recursing into errorFromValue again.
func (x *execution) errorFromGoOnce(err error) *Error {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		return x.stopReason()
	}
	return internalError(err)
}
