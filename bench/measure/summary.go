package measure

import (
	"math"
	"slices"
	"time"
)

// Summary is the distribution of a set of latencies, in milliseconds.
type Summary struct {
	N     int     `json:"n"`
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	MaxMs float64 `json:"maxMs"`
	MinMs float64 `json:"minMs"`
}

// Summarize computes p50, p99, min and max; the zero Summary when there are no
// samples.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	return Summary{
		N:     len(sorted),
		P50Ms: ms(Percentile(sorted, 50)),
		P99Ms: ms(Percentile(sorted, 99)),
		MaxMs: ms(sorted[len(sorted)-1]),
		MinMs: ms(sorted[0]),
	}
}

// Percentile is the nearest-rank percentile of sorted samples: the smallest
// sample with at least p% of the samples at or below it (so p99 of 20
// samples is the largest). No interpolation, so every reported figure is
// a latency that was actually measured. sorted must be non-empty and sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ms converts to milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// Seconds converts to seconds, rounded to the millisecond.
func Seconds(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)) / 1000
}
