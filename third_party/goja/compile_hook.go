package goja

// Patched: see PATCHES.md ("A hook on code compiled at run time").

// CompileHook is called with the source of all code a script compiles at
// run time, before goja parses it: the argument of eval (direct or
// indirect), and the function source the Function, GeneratorFunction and
// AsyncFunction constructors assemble from their arguments
// ("(function anonymous(" + params + "\n) {\n" + body + "\n})"). It runs on
// the runtime's goroutine and may panic with a JavaScript error (as
// built-ins do: panic(r.NewTypeError(…))) to refuse the code; nothing is
// parsed then.
type CompileHook func(src string)

// SetCompileHook sets the hook called before code compiled at run time is
// parsed (nil: none). Code given to RunString, RunScript or Compile from Go
// is not passed to it.
func (r *Runtime) SetCompileHook(hook CompileHook) {
	r.compileHook = hook
}
