package elbv2

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer applies the control law (nextPace) to one bucket.
type pacer struct {
	configured float64
	obs        RateObserver

	mu   sync.Mutex
	pace pace
}

// adapt moves the bucket's rate as the control law says. A tick runs before
// every call takes its tokens, so the rate recovers without a goroutine of
// its own; an idle bucket's gauge shows the rate of its last call.
func (b *bucket) adapt(ev paceEvent, now time.Time) {
	p := b.pacer
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.pace.rate
	p.pace = nextPace(p.configured, p.pace, ev, now)
	if p.pace.rate == old {
		return
	}
	// Tokens booked at the old rate keep their due times; the new rate
	// paces the calls that ask after it.
	b.lim.SetLimitAt(now, rate.Limit(p.pace.rate))
	p.obs.ObserveRate(b.op, p.pace.rate)
}

// Throttled tells the limiter that AWS throttled an attempt of operation
// (an ELBv2 action name), so that the bucket that paces it slows down. The
// SDK adapter calls it for every throttled attempt, retries included
// (Options.Throttles); actions tgc does not pace are ignored.
func (r *RateLimiter) Throttled(operation string) {
	name := operation
	if strings.HasPrefix(operation, "Describe") {
		name = "Describe"
	}
	if b := r.b.bucket(name); b != nil {
		b.adapt(paceThrottled, time.Now())
	}
}

// bucket is the bucket labelled name, nil for an action tgc does not pace.
func (b *buckets) bucket(name string) *bucket {
	switch name {
	case "RegisterTargets":
		return b.register
	case "DeregisterTargets":
		return b.deregister
	case "Describe":
		return b.describe
	}
	return nil
}
