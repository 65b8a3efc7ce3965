package bench

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// percentile is the nearest-rank percentile (0 < p <= 100) of the samples:
// the smallest sample at least p% of the samples do not exceed. With 20
// samples, p99 is the largest one.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reportLatency reports p50, p99 and max of the samples in milliseconds,
// each metric's unit prefixed with prefix, and the sample count.
func reportLatency(b *testing.B, prefix string, samples []time.Duration) {
	b.ReportMetric(ms(percentile(samples, 50)), prefix+"p50-ms")
	b.ReportMetric(ms(percentile(samples, 99)), prefix+"p99-ms")
	b.ReportMetric(ms(percentile(samples, 100)), prefix+"max-ms")
	b.Logf("%ssamples (ms): %s", prefix, formatMS(samples))
}

func formatMS(samples []time.Duration) string {
	parts := make([]string, len(samples))
	for i, d := range samples {
		parts[i] = strconv.FormatFloat(ms(d), 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

func TestPercentile(t *testing.T) {
	ten := []time.Duration{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	cases := map[string]struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		"no samples give zero":                      {nil, 50, 0},
		"one sample is every percentile":            {[]time.Duration{7}, 99, 7},
		"median of ten is the fifth smallest":       {ten, 50, 5},
		"p99 of ten is the largest":                 {ten, 99, 10},
		"p90 of ten is the ninth smallest":          {ten, 90, 9},
		"a tiny percentile is the smallest":         {ten, 0.1, 1},
		"p100 is the maximum":                       {ten, 100, 10},
		"p50 of an even count takes the lower half": {[]time.Duration{4, 1, 3, 2}, 50, 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := percentile(tc.samples, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %g) = %d, want %d", tc.samples, tc.p, got, tc.want)
			}
		})
	}
}

func TestPercentileLeavesSamplesUnsorted(t *testing.T) {
	s := []time.Duration{3, 1, 2}
	percentile(s, 50)
	if !slices.Equal(s, []time.Duration{3, 1, 2}) {
		t.Errorf("percentile reordered its input: %v", s)
	}
}
