package elbv2

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Bucket is a token bucket: Rate tokens a second, at most Burst saved up.
// One token is one AWS API call. A Rate of zero or less means no limit.
type Bucket struct {
	Rate  float64
	Burst int
}

// Limits are the client-side token buckets, one per ELBv2 operation class.
// ELBv2 throttles per account and region per API action, so the buckets are
// shared by every target group the process manages.
type Limits struct {
	Register   Bucket // RegisterTargets
	Deregister Bucket // DeregisterTargets
	Describe   Bucket // DescribeTargetGroups, DescribeTargetGroupAttributes, DescribeTargetHealth
}

// DefaultLimits are the ELBv2 API request rates the emulator enforces by
// default: 4/s with a burst of 20 for RegisterTargets and DeregisterTargets,
// 50/s with a burst of 200 for the Describe calls.
func DefaultLimits() Limits {
	return Limits{
		Register:   Bucket{Rate: 4, Burst: 20},
		Deregister: Bucket{Rate: 4, Burst: 20},
		Describe:   Bucket{Rate: 50, Burst: 200},
	}
}

// WithRateLimits wraps next so that its calls stay inside l. A call waits
// for one token per AWS request it will make (a Register of 450 targets is
// three RegisterTargets requests) before it starts, and gives up only when
// ctx ends: waiting here costs nothing, while a request AWS throttles costs
// a retry after a backoff that grows with every throttle.
func WithRateLimits(next TargetGroups, l Limits) TargetGroups {
	return &rateLimited{
		next:       next,
		register:   newLimiter(l.Register),
		deregister: newLimiter(l.Deregister),
		describe:   newLimiter(l.Describe),
	}
}

func newLimiter(b Bucket) *rate.Limiter {
	if b.Rate <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(b.Rate), max(b.Burst, 1))
}

type rateLimited struct {
	next                           TargetGroups
	register, deregister, describe *rate.Limiter
}

// take waits for n tokens one at a time, since rate.Limiter.WaitN refuses
// n above the burst.
func take(ctx context.Context, l *rate.Limiter, n int, op string) error {
	for range n {
		if err := l.Wait(ctx); err != nil {
			return fmt.Errorf("waiting for the %s rate limit: %w", op, err)
		}
	}
	return nil
}

// calls is how many requests the SDK adapter makes for n targets.
func calls(n int) int {
	return (n + targets.MaxTargetsPerCall - 1) / targets.MaxTargetsPerCall
}

func (r *rateLimited) DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error) {
	// DescribeTargetGroups plus DescribeTargetGroupAttributes.
	if err := take(ctx, r.describe, 2, "describe"); err != nil {
		return TargetGroup{}, err
	}
	return r.next.DescribeTargetGroup(ctx, arn)
}

func (r *rateLimited) FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error) {
	if err := take(ctx, r.describe, 2, "describe"); err != nil {
		return TargetGroup{}, err
	}
	return r.next.FindTargetGroupByName(ctx, name)
}

func (r *rateLimited) TargetHealth(ctx context.Context, arn string, only ...targets.Target) ([]targets.Health, error) {
	if err := take(ctx, r.describe, 1, "describe"); err != nil {
		return nil, err
	}
	return r.next.TargetHealth(ctx, arn, only...)
}

func (r *rateLimited) Register(ctx context.Context, arn string, ts []targets.Target) error {
	if err := take(ctx, r.register, calls(len(ts)), "register"); err != nil {
		return err
	}
	return r.next.Register(ctx, arn, ts)
}

func (r *rateLimited) Deregister(ctx context.Context, arn string, ts []targets.Target) error {
	if err := take(ctx, r.deregister, calls(len(ts)), "deregister"); err != nil {
		return err
	}
	return r.next.Deregister(ctx, arn, ts)
}
