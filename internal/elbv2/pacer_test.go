package elbv2

import (
	"sync"
	"testing"
	"time"
)

// rates records what a RateLimiter reports of its buckets.
type rates struct {
	mu   sync.Mutex
	last map[string]float64
}

func (r *rates) ObserveWait(string, time.Duration) {}

func (r *rates) ObserveRate(bucket string, perSecond float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]float64{}
	}
	r.last[bucket] = perSecond
}

func (r *rates) of(bucket string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[bucket]
}

func TestThrottledSlowsTheBucketThatPacesTheOperation(t *testing.T) {
	limits := Limits{Register: Bucket{Rate: 4, Burst: 1}, Deregister: Bucket{Rate: 4, Burst: 1}, Describe: Bucket{Rate: 50, Burst: 1}}
	cases := map[string]struct {
		adaptive  bool
		operation string
		want      map[string]float64
	}{
		"a throttled registration halves the register bucket only": {
			adaptive: true, operation: "RegisterTargets",
			want: map[string]float64{"RegisterTargets": 2, "DeregisterTargets": 4, "Describe": 50},
		},
		"a throttled deregistration halves the deregister bucket only": {
			adaptive: true, operation: "DeregisterTargets",
			want: map[string]float64{"RegisterTargets": 4, "DeregisterTargets": 2, "Describe": 50},
		},
		"every Describe action slows the shared describe bucket": {
			adaptive: true, operation: "DescribeTargetHealth",
			want: map[string]float64{"RegisterTargets": 4, "DeregisterTargets": 4, "Describe": 25},
		},
		"an action tgc does not pace changes nothing": {
			adaptive: true, operation: "ModifyTargetGroupAttributes",
			want: map[string]float64{"RegisterTargets": 4, "DeregisterTargets": 4, "Describe": 50},
		},
		"without adaptation a throttle changes nothing": {
			adaptive: false, operation: "RegisterTargets",
			want: map[string]float64{"RegisterTargets": 4, "DeregisterTargets": 4, "Describe": 50},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obs := &rates{}
			l := limits
			l.Adaptive = tc.adaptive
			r := NewRateLimiter(l, obs)
			r.Throttled(tc.operation)
			for bucket, want := range tc.want {
				// Recovery between the cut and now adds at most a
				// few milliseconds' worth.
				if got := obs.of(bucket); got < want || got > want*1.01 {
					t.Errorf("%s rate = %v, want %v", bucket, got, want)
				}
				if got := float64(r.b.bucket(bucket).lim.Limit()); got < want || got > want*1.01 {
					t.Errorf("%s limiter = %v, want %v", bucket, got, want)
				}
			}
		})
	}
}

// The guard: with adaptation on, a throttle makes the next calls wait
// longer. It fails when Throttled no longer reaches the limiter.
func TestThrottledMakesTheNextCallsWaitLonger(t *testing.T) {
	r := NewRateLimiter(Limits{Register: Bucket{Rate: 20, Burst: 1}, Adaptive: true}, nil)
	tg := r.Wrap(&recorder{})
	register := func() time.Duration {
		start := time.Now()
		if err := tg.Register(t.Context(), arnWeb, podTargets(1), Write{}); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	register() // spends the burst
	r.Throttled("RegisterTargets")
	register() // waits for the token due at the old rate (50 ms)
	// At 10/s the next token is 100 ms away; at 20/s it would be 50 ms.
	if waited := register(); waited < 80*time.Millisecond {
		t.Errorf("registration after a throttle waited %s, want about 100ms (half the rate)", waited)
	}
}
