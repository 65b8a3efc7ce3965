package elbv2

import (
	"errors"
	"fmt"
	"time"
)

// ErrDeferred is returned, without calling AWS, for a Spare read when its
// bucket has no spare tokens.
var ErrDeferred = errors.New("deferred: no spare API tokens")

// DeferredError is returned, without calling AWS, by a Register or
// Deregister whose tokens are further away than its Write.MaxWait. The tokens stay booked for the target group: a later call for
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
