package emulator

import (
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// RateLimit is a token bucket: PerSecond refill, Burst capacity.
type RateLimit struct {
	PerSecond float64 `json:"perSecond"`
	Burst     int     `json:"burst"`
}

// Throttle configures per-class API throttling. ELB throttles each account
// and Region with token buckets per class of action and answers Throttling /
// "Rate exceeded" (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html).
type Throttle struct {
	Disabled bool `json:"disabled"`
	// Storm answers every RegisterTargets and DeregisterTargets call with
	// Throttling, whatever its bucket holds, as when other clients of the
	// account and Region drain the buckets for a while (the limits are per
	// account and Region, not per caller). Describe* calls keep their
	// buckets. It applies even when Disabled is set.
	Storm bool `json:"storm,omitempty"`
	// Zero values mean the AWS-like defaults: Register and Deregister 4/s
	// burst 20, Describe 50/s burst 200, Modify 3/s burst 20.
	Register   RateLimit `json:"register"`
	Deregister RateLimit `json:"deregister"`
	Describe   RateLimit `json:"describe"`
	Modify     RateLimit `json:"modify"`
}

type actionClass int

const (
	classNone actionClass = iota
	classRegister
	classDeregister
	classDescribe
	classModify
)

// classOf names the bucket an action draws from. Create*, Delete* and the
// tag actions are not throttled by the emulator (a documented difference).
func classOf(action string) actionClass {
	switch {
	case action == "RegisterTargets":
		return classRegister
	case action == "DeregisterTargets":
		return classDeregister
	case strings.HasPrefix(action, "Describe"):
		return classDescribe
	case strings.HasPrefix(action, "Modify"):
		return classModify
	default:
		return classNone
	}
}

func (t Throttle) withDefaults() Throttle {
	def := func(r RateLimit, ps float64, burst int) RateLimit {
		if r.PerSecond <= 0 {
			r.PerSecond = ps
		}
		if r.Burst <= 0 {
			r.Burst = burst
		}
		return r
	}
	t.Register = def(t.Register, 4, 20)
	t.Deregister = def(t.Deregister, 4, 20)
	t.Describe = def(t.Describe, 50, 200)
	t.Modify = def(t.Modify, 3, 20)
	return t
}

// throttler holds the live buckets.
type throttler struct {
	mu      sync.Mutex
	cfg     Throttle
	buckets map[actionClass]*rate.Limiter
}

func newThrottler(t Throttle) *throttler {
	th := &throttler{}
	th.set(t)
	return th
}

func (th *throttler) set(t Throttle) {
	t = t.withDefaults()
	th.mu.Lock()
	defer th.mu.Unlock()
	th.cfg = t
	th.buckets = map[actionClass]*rate.Limiter{
		classRegister:   rate.NewLimiter(rate.Limit(t.Register.PerSecond), t.Register.Burst),
		classDeregister: rate.NewLimiter(rate.Limit(t.Deregister.PerSecond), t.Deregister.Burst),
		classDescribe:   rate.NewLimiter(rate.Limit(t.Describe.PerSecond), t.Describe.Burst),
		classModify:     rate.NewLimiter(rate.Limit(t.Modify.PerSecond), t.Modify.Burst),
	}
}

func (th *throttler) get() Throttle {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.cfg
}

// allow takes a token for action and reports whether the call may proceed.
func (th *throttler) allow(action string) bool {
	th.mu.Lock()
	defer th.mu.Unlock()
	class := classOf(action)
	if th.cfg.Storm && (class == classRegister || class == classDeregister) {
		return false
	}
	if th.cfg.Disabled {
		return true
	}
	b, ok := th.buckets[class]
	return !ok || b.Allow()
}
