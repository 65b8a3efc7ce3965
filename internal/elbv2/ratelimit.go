package elbv2

import (
	"context"
	"time"

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
	Describe   Bucket // DescribeTargetGroups, DescribeTargetGroupAttributes, DescribeTargetHealth, DescribeTags
	// Adaptive cuts a bucket's rate when AWS throttles its operation and
	// recovers it to Rate without throttles (nextPace), so that tgc yields
	// to other tools spending the account's budget. It needs the throttles:
	// pass the RateLimiter as Options.Throttles to NewClient.
	Adaptive bool
}

// DefaultLimits pace tgc at ELBv2's documented refill rates (the figures the
// emulator enforces: 4/s for RegisterTargets and for DeregisterTargets, 50/s
// for the Describe calls) with 90% of their bursts (18, 18 and 180). The
// buckets belong to the account and Region, not to tgc: the spare tenth
// absorbs calls by other tools and the gap between when tgc takes a token
// and when AWS counts the request. With the whole burst, a restart of 1,000
// bindings drew 11 throttled answers; with 90%, none (BENCHMARKS.md,
// restart), for 1% more time.
func DefaultLimits() Limits {
	return Limits{
		Register:   Bucket{Rate: 4, Burst: 18},
		Deregister: Bucket{Rate: 4, Burst: 18},
		Describe:   Bucket{Rate: 50, Burst: 180},
		Adaptive:   true,
	}
}

// WithRateLimits wraps next so that its calls stay inside l (see
// RateLimiter.Wrap). Without a RateLimiter to pass to NewClient the rates
// never adapt.
func WithRateLimits(next TargetGroups, l Limits, obs LimitObserver) TargetGroups {
	return NewRateLimiter(l, obs).Wrap(next)
}

// RateLimiter holds the client-side token buckets. It paces the calls of
// the TargetGroups it wraps and, with Limits.Adaptive, learns from the SDK
// adapter which of its operations AWS throttled (Throttled).
type RateLimiter struct {
	b buckets
}

type buckets struct {
	obs                            LimitObserver
	register, deregister, describe *bucket
}

// NewRateLimiter builds the buckets of l. obs, if not nil, learns how long
// each call waited for its tokens, so that a slow sync caused by tgc's own
// pacing can be told from one caused by AWS, and each bucket's current rate
// (Metrics implements it).
func NewRateLimiter(l Limits, obs LimitObserver) *RateLimiter {
	if obs == nil {
		obs = noLimitObserver{}
	}
	return &RateLimiter{b: buckets{
		obs:        obs,
		register:   newBucket("RegisterTargets", l.Register, l.Adaptive, obs),
		deregister: newBucket("DeregisterTargets", l.Deregister, l.Adaptive, obs),
		describe:   newBucket("Describe", l.Describe, l.Adaptive, obs),
	}}
}

// Wrap paces next. A call takes one token per AWS request it will make (a
// Register of 450 targets is three RegisterTargets requests) before it
// starts. By default it waits for them until ctx ends: waiting here costs
// nothing, while a request AWS throttles costs a retry after a backoff that
// grows with every throttle. A Spare read and a Write with a MaxWait wait
// less (Priority, Write).
func (r *RateLimiter) Wrap(next TargetGroups) TargetGroups {
	return &rateLimited{next: next, buckets: &r.b}
}

// LimitObserver learns what the rate limiter does.
type LimitObserver interface {
	WaitObserver
	RateObserver
}

// WaitObserver learns how long calls waited for rate-limit tokens.
type WaitObserver interface {
	// ObserveWait is called once per call that got its tokens, with the
	// call's operation label (as in Metrics) and the time it waited, zero
	// when the bucket had them. Calls deferred or canceled while waiting
	// are not observed: they never reach AWS.
	ObserveWait(operation string, waited time.Duration)
}

// RateObserver learns the rate of each bucket.
type RateObserver interface {
	// ObserveRate is called with a bucket's label (RegisterTargets,
	// DeregisterTargets, Describe) and its rate when it is built and
	// whenever adaptation changes it. Unlimited buckets are not observed.
	ObserveRate(bucket string, perSecond float64)
}

type noLimitObserver struct{}

func (noLimitObserver) ObserveWait(string, time.Duration) {}
func (noLimitObserver) ObserveRate(string, float64)       {}

type rateLimited struct {
	next TargetGroups
	*buckets
}

// took reports the wait of a call that got its tokens.
func (r *rateLimited) took(op string, start time.Time) {
	r.obs.ObserveWait(op, time.Since(start))
}

// calls is how many requests the SDK adapter makes for n targets.
func calls(n int) int {
	return (n + targets.MaxTargetsPerCall - 1) / targets.MaxTargetsPerCall
}

func (r *rateLimited) TargetGroupPage(ctx context.Context, marker string) ([]TargetGroup, string, error) {
	start := time.Now()
	if err := r.describe.read(ctx, Required); err != nil {
		return nil, "", err
	}
	r.took("DescribeTargetGroups", start)
	return r.next.TargetGroupPage(ctx, marker)
}

func (r *rateLimited) DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error) {
	start := time.Now()
	if err := r.describe.read(ctx, Required); err != nil {
		return TargetGroup{}, err
	}
	r.took("DescribeTargetGroups", start)
	return r.next.DescribeTargetGroup(ctx, arn)
}

func (r *rateLimited) FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error) {
	start := time.Now()
	if err := r.describe.read(ctx, Required); err != nil {
		return TargetGroup{}, err
	}
	r.took("DescribeTargetGroups", start)
	return r.next.FindTargetGroupByName(ctx, name)
}

func (r *rateLimited) DeregistrationDelay(ctx context.Context, arn string, p Priority) (time.Duration, error) {
	start := time.Now()
	if err := r.describe.read(ctx, p); err != nil {
		return 0, err
	}
	r.took("DescribeTargetGroupAttributes", start)
	return r.next.DeregistrationDelay(ctx, arn, p)
}

func (r *rateLimited) Tags(ctx context.Context, arn string) (map[string]string, error) {
	start := time.Now()
	if err := r.describe.read(ctx, Required); err != nil {
		return nil, err
	}
	r.took("DescribeTags", start)
	return r.next.Tags(ctx, arn)
}

func (r *rateLimited) TargetHealth(ctx context.Context, arn string, p Priority) ([]targets.Health, error) {
	start := time.Now()
	if err := r.describe.read(ctx, p); err != nil {
		return nil, err
	}
	r.took("DescribeTargetHealth", start)
	return r.next.TargetHealth(ctx, arn, p)
}

func (r *rateLimited) Register(ctx context.Context, arn string, ts []targets.Target, w Write) error {
	start := time.Now()
	if err := r.register.write(ctx, arn, calls(len(ts)), w); err != nil {
		return err
	}
	r.took("RegisterTargets", start)
	return r.next.Register(ctx, arn, ts, w)
}

func (r *rateLimited) Deregister(ctx context.Context, arn string, ts []targets.Target, w Write) error {
	start := time.Now()
	if err := r.deregister.write(ctx, arn, calls(len(ts)), w); err != nil {
		return err
	}
	r.took("DeregisterTargets", start)
	return r.next.Deregister(ctx, arn, ts, w)
}
