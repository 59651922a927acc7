//go:build !unix

package sandbox

func wakeMonitor() {}
