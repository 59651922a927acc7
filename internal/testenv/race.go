//go:build race

package testenv

// RaceEnabled is whether the race detector is on.
const RaceEnabled = true
