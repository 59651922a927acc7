//go:build race

package isolate

// raceEnabled: the race detector's shadow memory counts against
// RLIMIT_DATA and inflates the RSS, so memory limits are loosened.
const raceEnabled = true
