//go:build !unix

package rawio

import "io"

// Wrap returns rw: raw system calls are for Unix systems.
func Wrap(rw io.ReadWriter) io.ReadWriter { return rw }
