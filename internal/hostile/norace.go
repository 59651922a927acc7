//go:build !race

package hostile

// RaceEnabled is whether the race detector is on: it multiplies memory use
// and slows goja several times, so RSS bounds are not checked under it.
const RaceEnabled = false
