package elbv2

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// Fence says whether this process may still write to AWS. ELBv2 has no
// conditional writes, so a leader that lost its Lease while a write waited
// for a rate-limit token, or between two attempts of a retried call, could
// still land that write after another replica took over. The fence closes
// once the leader's last renewal is older than its renew deadline: past it,
// client-go's elector has given up, and the next leader may be acting.
type Fence interface {
	// Closed returns an error naming why writes must stop, or nil.
	Closed() error
}

// ErrFenced marks a write abandoned because the fence was closed.
var ErrFenced = errors.New("write abandoned: this replica may no longer hold the leader Lease")

// FencedError is ErrFenced with the fence's reason. The SDK's retryer
// does not retry it: it is no AWS answer, and a retry is exactly the write
// that must not happen.
type FencedError struct {
	Operation string
	Reason    error
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("%s: %v: %v", e.Operation, ErrFenced, e.Reason)
}

func (e *FencedError) Unwrap() []error { return []error{ErrFenced, e.Reason} }

// RetryableError tells the SDK's retryer never to retry a fenced attempt.
func (e *FencedError) RetryableError() bool { return false }

// mutating are the actions that change a target group: the ones a fenced
// replica must not send. Reads stay allowed, since they change nothing.
var mutating = map[string]bool{"RegisterTargets": true, "DeregisterTargets": true}

// fenceWrites adds a middleware inside the SDK's retry loop that checks the
// fence before every attempt of a write: after a token wait, and before
// each retry. What it cannot stop is an attempt already on the wire, which
// docs/aws-api.md bounds.
func fenceWrites(f Fence) func(*middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("tgcFenceWrites", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		op := middleware.GetOperationName(ctx)
		if mutating[op] {
			if reason := f.Closed(); reason != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, &FencedError{Operation: op, Reason: reason}
			}
		}
		return next.HandleFinalize(ctx, in)
	})
	return func(s *middleware.Stack) error {
		return s.Finalize.Insert(mw, (&retry.Attempt{}).ID(), middleware.After)
	}
}
