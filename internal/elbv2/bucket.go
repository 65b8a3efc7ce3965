package elbv2

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// bookingTTL is how long tokens booked for a deferred call stay reserved
// after they came due. A binding whose plan lost the change it was waiting
// for never comes back for them; its booking is dropped after this.
const bookingTTL = time.Minute

// bucket is one client-side token bucket and the tokens booked ahead on it
// by deferred calls, per target group.
type bucket struct {
	op    string
	lim   *rate.Limiter
	burst int
	// pacer adapts lim's rate; nil when the rate is fixed.
	pacer *pacer

	mu     sync.Mutex
	booked map[string]booking
	pruned time.Time
}

// booking is the tokens reserved for one target group's deferred call.
type booking struct {
	res []*rate.Reservation
	due time.Time // when the last of them is available
}

func newBucket(op string, b Bucket, adaptive bool, obs RateObserver) *bucket {
	bk := &bucket{op: op, lim: rate.NewLimiter(rate.Inf, 0), burst: max(b.Burst, 1), booked: map[string]booking{}}
	if b.Rate <= 0 {
		return bk
	}
	bk.lim = rate.NewLimiter(rate.Limit(b.Rate), bk.burst)
	obs.ObserveRate(op, b.Rate)
	if adaptive {
		bk.pacer = &pacer{configured: b.Rate, obs: obs}
	}
	return bk
}

// read gets the token for one read, waiting as the context allows unless
// the read is only worth making on spare tokens.
func (b *bucket) read(ctx context.Context, p Priority) error {
	b.adapt(paceTick, time.Now())
	switch p {
	case Spare:
		return b.spare(1)
	case Background:
		return b.whenFree(ctx)
	}
	return b.wait(ctx, 1)
}

// whenFree gets one token without reserving it ahead, and leaves one in
// the bucket: a Required read takes that one at once, or reserves the next
// (rate.Limiter.Wait books it, driving the bucket below one), so it never
// waits behind Background reads, however many are waiting. Holding one
// token back costs the Background reads that token once, not their pace.
// A bucket of burst 1 cannot hold one back.
func (b *bucket) whenFree(ctx context.Context) error {
	if b.lim.Limit() == rate.Inf {
		return nil
	}
	need := 2.0
	if b.burst < 2 {
		need = 1
	}
	for {
		now := time.Now()
		have := b.lim.TokensAt(now)
		if have >= need && b.lim.AllowN(now, 1) {
			return nil
		}
		// Until the bucket holds enough, as far as we know now; a Required
		// read booking tokens meanwhile only sends us round again.
		wait := max(time.Duration((need-have)/float64(b.lim.Limit())*float64(time.Second)), time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for the %s rate limit: %w", b.op, ctx.Err())
		}
	}
}

// write gets n tokens for a write on target group arn, booking them ahead
// when they are further away than w allows.
func (b *bucket) write(ctx context.Context, arn string, n int, w Write) error {
	b.adapt(paceTick, time.Now())
	if w.MaxWait > 0 {
		return b.book(ctx, arn, n, w.MaxWait)
	}
	return b.wait(ctx, n)
}

// wait gets n tokens, waiting as the context allows.
func (b *bucket) wait(ctx context.Context, n int) error {
	for range n {
		if err := b.lim.Wait(ctx); err != nil {
			return fmt.Errorf("waiting for the %s rate limit: %w", b.op, err)
		}
	}
	return nil
}

// spare takes n tokens only when the bucket would still hold half its
// burst afterwards.
func (b *bucket) spare(n int) error {
	if b.lim.Limit() == rate.Inf {
		return nil
	}
	now := time.Now()
	if b.lim.TokensAt(now)-float64(n) < float64(b.burst)/2 || !b.lim.AllowN(now, n) {
		return ErrDeferred
	}
	return nil
}

// book reserves n tokens for key, keeping any reserved by an earlier
// deferred call, and waits for them when they are due within maxWait.
// Reservations keep their place in line, so deferred calls are served in the
// order they first asked.
func (b *bucket) book(ctx context.Context, key string, n int, maxWait time.Duration) error {
	now := time.Now()
	b.mu.Lock()
	res := b.booked[key].res
	for len(res) < n {
		res = append(res, b.lim.ReserveN(now, 1))
	}
	for _, extra := range res[n:] {
		extra.CancelAt(now)
	}
	res = res[:n]
	var wait time.Duration
	for _, r := range res {
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > maxWait {
		b.booked[key] = booking{res: res, due: now.Add(wait)}
		b.mu.Unlock()
		return &DeferredError{Op: b.op, After: wait}
	}
	delete(b.booked, key)
	b.prune(now)
	b.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the %s rate limit: %w", b.op, ctx.Err())
	}
}

// prune drops bookings that came due long ago and were never used; their
// tokens are spent. Called with b.mu held, at most once per TTL.
func (b *bucket) prune(now time.Time) {
	if now.Sub(b.pruned) < bookingTTL {
		return
	}
	b.pruned = now
	for key, bk := range b.booked {
		if now.Sub(bk.due) > bookingTTL {
			delete(b.booked, key)
		}
	}
}
