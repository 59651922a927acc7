// Package exemap releases a process's mappings of its own executable's
// read-only pages once they are no longer in use.
//
// A Go binary's code and read-only data are mapped from its file, and every
// page a process touches counts in its resident set, as do the pages the
// kernel maps around it (fault-around: 64 KB at a time). Starting the server
// runs the initialisers of every package linked in, spread across the whole
// binary, and reads the configuration, the upstreams' tool lists and the
// store, so that after startup almost all of the binary is resident: about
// 30 MB, against 7 MB of heap and stacks. Most of it is not used again.
//
// Release drops those mappings (madvise MADV_DONTNEED on the executable's
// read-only, private mappings). The pages stay in the page cache, so what is
// used again is mapped back by a minor fault, without reading the disk; what
// is not becomes the first memory the kernel reclaims under pressure, rather
// than pages mapped in a running process. Writable mappings (the binary's
// initialised variables, which the process may have changed) are never
// touched.
//
// # Cost
//
// The next execution maps back its working set (about 9 MB with fault-around,
// a third of a millisecond, once); callers release once, when startup is over
// and the process is idle, not on every idle period.
package exemap

// Release drops the process's mappings of its executable's read-only pages
// and returns how many bytes of mappings it advised. Where it is not
// supported (systems other than Linux) it does nothing and returns 0, nil.
func Release() (int64, error) { return release() }
