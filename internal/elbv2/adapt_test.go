package elbv2

import (
	"math"
	"testing"
	"time"
)

func TestNextPace(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := map[string]struct {
		configured float64
		p          pace
		ev         paceEvent
		now        time.Time
		want       pace
	}{
		"first tick starts at the configured rate": {
			configured: 4, ev: paceTick, now: t0,
			want: pace{rate: 4, at: t0},
		},
		"first throttle halves the configured rate": {
			configured: 4, ev: paceThrottled, now: t0,
			want: pace{rate: 2, at: t0, cut: t0},
		},
		"a throttle within the cool-down does not cut again": {
			configured: 40, p: pace{rate: 20, at: t0, cut: t0}, ev: paceThrottled, now: at(time.Second),
			want: pace{rate: 22, at: at(time.Second), cut: t0},
		},
		"a throttle after the cool-down cuts again": {
			configured: 40, p: pace{rate: 20, at: t0, cut: t0}, ev: paceThrottled, now: at(cutCoolDown),
			want: pace{rate: 12, at: at(cutCoolDown), cut: at(cutCoolDown)},
		},
		"a cut stops at a tenth of the configured rate": {
			configured: 50, p: pace{rate: 4, at: t0, cut: t0}, ev: paceThrottled, now: at(cutCoolDown),
			want: pace{rate: 5, at: at(cutCoolDown), cut: at(cutCoolDown)},
		},
		"a cut stops at the minimum rate when a tenth is less": {
			configured: 4, p: pace{rate: 0.6, at: t0, cut: t0}, ev: paceThrottled, now: at(cutCoolDown),
			want: pace{rate: minRate, at: at(cutCoolDown), cut: at(cutCoolDown)},
		},
		"the floor never exceeds a configured rate below the minimum": {
			configured: 0.2, p: pace{rate: 0.2, at: t0}, ev: paceThrottled, now: t0,
			want: pace{rate: 0.2, at: t0, cut: t0},
		},
		"without throttles the rate recovers a twentieth of the configured rate a second": {
			configured: 4, p: pace{rate: 2, at: t0, cut: t0}, ev: paceTick, now: at(5 * time.Second),
			want: pace{rate: 3, at: at(5 * time.Second), cut: t0},
		},
		"recovery stops at the configured rate": {
			configured: 4, p: pace{rate: 2, at: t0, cut: t0}, ev: paceTick, now: at(time.Minute),
			want: pace{rate: 4, at: at(time.Minute), cut: t0},
		},
		"a clock that steps back changes nothing": {
			configured: 4, p: pace{rate: 2, at: at(time.Second), cut: at(time.Second)}, ev: paceTick, now: t0,
			want: pace{rate: 2, at: at(time.Second), cut: at(time.Second)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := nextPace(tc.configured, tc.p, tc.ev, tc.now)
			if math.Abs(got.rate-tc.want.rate) > 1e-9 || !got.at.Equal(tc.want.at) || !got.cut.Equal(tc.want.cut) {
				t.Errorf("nextPace = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A burst of throttled retries within one cool-down cuts the rate once.
func TestNextPaceCutsOncePerThrottlingEpisode(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var p pace
	for i := range 10 {
		p = nextPace(4, p, paceThrottled, t0.Add(time.Duration(i)*100*time.Millisecond))
	}
	if want := 2 + 0.9*recoverPerSecond*4; math.Abs(p.rate-want) > 1e-9 {
		t.Errorf("rate after ten throttles in 0.9 s = %v, want %v (one cut, then recovery)", p.rate, want)
	}
}
