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
// used again is mapped back by a minor fault, without reading the disk while
// they are there; what is not becomes the first memory the kernel reclaims
// under pressure, rather than pages mapped in a running process. The kernel
// may do the same to clean file pages at any time under memory pressure, so
// a process that runs on after it is no different. Writable mappings (the
// binary's initialised variables, which the process may have changed) are
// never touched.
//
// # Cost
//
// What runs next maps back what it uses: the first execution of a stdio
// server about 15 MB with fault-around. Callers release once, when startup
// is over and the process is idle, not at every idle period, so that later
// executions find their pages mapped.
package exemap

// Release drops the process's mappings of its executable's read-only pages
// and returns how many bytes of mappings it advised. Where it is not
// supported (systems other than Linux) it does nothing and returns 0, nil.
func Release() (int64, error) { return release() }
