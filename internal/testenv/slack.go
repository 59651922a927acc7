package testenv

import (
	"os"
	"strconv"
	"time"
)

// Slack is the one factor by which tests stretch their time bounds (and
// the deadlines they wait up to), so that no assertion depends on how fast
// or how busy the machine is: 4 on its own, since tests share two cores
// with other packages' tests; 4 times more under the race detector, which
// slows goja several times over; and times $TEST_SLACK when set (a
// positive number) for a slower machine still.
var Slack = slack(os.Getenv("TEST_SLACK"))

func slack(env string) float64 {
	f := 4.0
	if RaceEnabled {
		f *= 4
	}
	if x, err := strconv.ParseFloat(env, 64); err == nil && x > 0 {
		f *= x
	}
	return f
}

// Within stretches d, a bound on how long something may take, by Slack.
// A test measuring a target (100 ms after a timeout) asserts
// elapsed < target + Within(margin), and logs what it measured.
func Within(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Slack)
}
