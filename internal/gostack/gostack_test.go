package gostack

import (
	"testing"
	"unsafe"
)

// moves reports whether a fresh goroutine's stack moved (was grown: Go
// copies a stack to grow it) while it recursed about 16 KB deep, after
// Presize (or PresizeDeep) or not. An address kept as a uintptr is not adjusted by the
// copy, so it tells.
func moves(presize func()) bool {
	done := make(chan bool)
	go func() {
		if presize != nil {
			presize()
		}
		var x int
		before := uintptr(unsafe.Pointer(&x))
		recurse(depth / 256)
		done <- uintptr(unsafe.Pointer(&x)) != before
	}()
	return <-done
}

//go:noinline
func recurse(n int) byte {
	var frame [256]byte
	frame[n%256] = byte(n)
	if n == 0 {
		return frame[0]
	}
	return recurse(n-1) + frame[n%256]
}

func TestPresize(t *testing.T) {
	depth = 16 << 10
	if !moves(nil) {
		t.Fatal("a fresh goroutine recursing 16 KB deep did not grow its stack: the test measures nothing")
	}
	if moves(Presize) {
		t.Fatal("after Presize the stack still grew for 16 KB of frames")
	}
	depth = 40 << 10
	if !moves(Presize) {
		t.Fatal("after Presize a goroutine recursing 40 KB deep did not grow its stack: Presize made it larger than it says")
	}
	if moves(PresizeDeep) {
		t.Fatal("after PresizeDeep the stack still grew for 40 KB of frames")
	}
}

var depth int
