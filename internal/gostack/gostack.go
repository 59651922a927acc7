// Package gostack grows a goroutine's stack ahead of deep work, and keeps
// goroutines whose stacks grew for the next such work (Go, GoDeep).
package gostack

// Presize and PresizeDeep grow the calling goroutine's stack, in one step
// and while it is still shallow, to hold what setting a goja runtime up,
// parsing a script or handling an MCP request reaches. A goroutine starts
// with a small stack and doubles it each time a call overflows it, copying
// every frame and adjusting their pointers; on goroutines made fresh for
// each request, run and spare, those copies of deep frames (goja's
// interpreter and parser, mcp-go's dispatch) were about 7 % of the stdio
// server's CPU back to back. Growing in one step still allocated and
// copied a stack per goroutine (5 % with one upstream call per execution):
// Go and GoDeep keep the goroutines for the next function instead. The
// frame they take is touched only at its end: the runtime sizes the new
// stack to fit it at once (a power of two). Deeper code still grows the
// stack from there as before.
//
// Presize makes the stack 32 KB: what setting a runtime up and running a
// short script reach.
//
//go:noinline
func Presize() {
	var frame [20 << 10]byte
	_ = touch(frame[:])
}

// PresizeDeep makes the stack 64 KB: what an MCP request that parses a
// script reaches (goja's parser recurses through a frame per precedence
// level of each expression).
//
//go:noinline
func PresizeDeep() {
	var frame [40 << 10]byte
	_ = touch(frame[:])
}

// touch reads the end of the frame it is given, so that the compiler
// keeps the frame (it writes nothing: many goroutines call it at once).
//
//go:noinline
func touch(b []byte) byte { return b[len(b)-1] }
