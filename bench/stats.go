package bench

import (
	"slices"
	"time"
)

// Latency summarises a sample of durations.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
}

// Summarize returns the p50 and p99 of ds, in milliseconds. It sorts ds.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	return Latency{N: len(ds), P50: ms(quantile(ds, 0.5)), P99: ms(quantile(ds, 0.99))}
}

// quantile is the nearest-rank quantile of sorted ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// fromMS converts durations a node script measured in milliseconds.
func fromMS(xs []float64) []time.Duration {
	ds := make([]time.Duration, len(xs))
	for i, x := range xs {
		ds[i] = time.Duration(x * 1e6)
	}
	return ds
}

// ratio is how many times faster a is than b (b / a), 0 when unknown.
func ratio(a, b Latency) float64 {
	if a.P50 == 0 || b.P50 == 0 {
		return 0
	}
	return b.P50 / a.P50
}

// first is the first element of s that match accepts, or the zero value:
// a figure of a run that did not measure it reads as zero.
func first[T any](s []T, match func(T) bool) T {
	for _, v := range s {
		if match(v) {
			return v
		}
	}
	var zero T
	return zero
}
