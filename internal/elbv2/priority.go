package elbv2

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrDeferred is returned, without calling AWS, for a background read when
// its bucket has no spare tokens (see Background).
var ErrDeferred = errors.New("deferred: no spare API tokens")

// DeferredError is returned, without calling AWS, by a Register or
// Deregister made with WithMaxWait whose tokens are further away than the
// wait allows. The tokens stay booked for the target group: a later call for
// the same group and operation uses them, so the caller retries After from
// now and carries every change that arrived meanwhile in that one call.
type DeferredError struct {
	Op    string
	After time.Duration
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("%s deferred for %s by the client-side rate limit", e.Op, e.After.Round(time.Millisecond))
}

// Is lets callers test errors.Is(err, ErrDeferred) for both kinds.
func (e *DeferredError) Is(target error) bool { return target == ErrDeferred }

type backgroundKey struct{}
type maxWaitKey struct{}

// Background marks the calls made with ctx as optional reads (status health
// polls, attribute refreshes): they run only while their bucket holds more
// than half its burst and otherwise fail at once with ErrDeferred, so they
// never delay, or take tokens from, the reads and writes that keep target
// groups correct.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// WithMaxWait bounds how long a Register or Deregister made with ctx waits
// for its tokens; beyond it the call returns a *DeferredError. A reconcile
// worker blocked on one bucket would otherwise hold up bindings waiting on
// another: deregistrations must never queue behind registrations.
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey{}, d)
}

func maxWaitFrom(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(maxWaitKey{}).(time.Duration)
	return d, ok
}
