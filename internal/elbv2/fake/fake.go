// Package fake is a stateful, in-memory elbv2.TargetGroups for the
// controllers' table tests: it keeps target groups and their targets, answers
// like AWS for what the controllers rely on, records every request and fails
// the ones a test asks it to. A failing test then points at the line of the
// sync that broke, in milliseconds.
//
// It is not the truth about ELBv2. A behaviour also needs its test on a real
// API server and the emulator (internal/emulator); the fake never replaces
// that test.
package fake

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// The ELBv2 actions behind the methods of elbv2.TargetGroups, as Call.Op and
// the injection methods name them. DescribeTargetGroup,
// FindTargetGroupByName and TargetGroupPage are all DescribeTargetGroups.
const (
	OpDescribeTargetGroups          = "DescribeTargetGroups"
	OpDescribeTargetGroupAttributes = "DescribeTargetGroupAttributes"
	OpDescribeTargetHealth          = "DescribeTargetHealth"
	OpDescribeTags                  = "DescribeTags"
	OpRegisterTargets               = "RegisterTargets"
	OpDeregisterTargets             = "DeregisterTargets"
)

// Config is what a test may choose about the fake before sharing it. The
// zero Config is AWS's defaults.
type Config struct {
	// RegisterState is the state a newly registered target reads as. AWS
	// reports initial (Elb.RegistrationInProgress) until the first health
	// checks pass; set StateHealthy to skip that step. Zero means initial.
	RegisterState targets.State
	// DrainImmediately removes a deregistered target at once, as though
	// its deregistration delay had already passed. Otherwise it drains
	// until Settle.
	DrainImmediately bool
	// PageSize is how many groups one TargetGroupPage returns. AWS allows
	// 400 at most and the adapter asks for that. Zero means 400.
	PageSize int
	// BatchSize is how many targets one RegisterTargets or
	// DeregisterTargets request carries. The adapter sends
	// targets.MaxTargetsPerCall; a smaller size lets a test reach the
	// several-requests path with a handful of targets. Zero means
	// targets.MaxTargetsPerCall.
	BatchSize int
}

// TargetGroups is the fake. Its zero value is ready to use with the zero
// Config. It is safe for concurrent use, and no slice it returns or keeps is
// shared with a caller.
type TargetGroups struct {
	cfg Config

	mu       sync.Mutex
	groups   map[string]*group
	order    []string // ARNs in the order AddGroup first saw them
	calls    []Call
	deferred []Call
	inject   injected
}

var _ elbv2.TargetGroups = (*TargetGroups)(nil)

// New returns an empty fake configured by cfg.
func New(cfg Config) *TargetGroups {
	return &TargetGroups{cfg: cfg}
}

func (f *TargetGroups) pageSize() int {
	if f.cfg.PageSize > 0 {
		return f.cfg.PageSize
	}
	return 400
}

func (f *TargetGroups) registerState() targets.State {
	if f.cfg.RegisterState != "" {
		return f.cfg.RegisterState
	}
	return targets.StateInitial
}

// TargetGroupPage lists the groups in the order they were added. The marker
// is opaque to callers, as AWS's is; here it is the index of the page's
// first group.
func (f *TargetGroups) TargetGroupPage(ctx context.Context, marker string) ([]elbv2.TargetGroup, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := 0
	err := f.request(ctx, Call{Op: OpDescribeTargetGroups, Marker: marker}, func() error {
		if marker == "" {
			return nil
		}
		n, err := strconv.Atoi(marker)
		if err != nil || n < 0 || n > len(f.order) {
			return apiError(OpDescribeTargetGroups, "ValidationError", elbv2.ErrValidation, "The marker '%s' is not valid", marker)
		}
		start = n
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("listing target groups: %w", err)
	}
	end := min(start+f.pageSize(), len(f.order))
	page := make([]elbv2.TargetGroup, 0, end-start)
	for _, arn := range f.order[start:end] {
		page = append(page, f.groups[arn].meta())
	}
	next := ""
	if end < len(f.order) {
		next = strconv.Itoa(end)
	}
	return page, next, nil
}

func (f *TargetGroups) DescribeTargetGroup(ctx context.Context, arn string) (elbv2.TargetGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var g *group
	err := f.request(ctx, Call{Op: OpDescribeTargetGroups, ARN: arn}, func() (err error) {
		g, err = f.lookup(OpDescribeTargetGroups, arn)
		return err
	})
	if err != nil {
		return elbv2.TargetGroup{}, fmt.Errorf("describing target group %s: %w", arn, err)
	}
	return g.meta(), nil
}

func (f *TargetGroups) FindTargetGroupByName(ctx context.Context, name string) (elbv2.TargetGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: OpDescribeTargetGroups, Name: name}
	g := f.byName(name)
	if g != nil {
		// Resolved here so that ErrorFor(op, arn) also hits a lookup by name.
		c.ARN = g.tg.ARN
	}
	err := f.request(ctx, c, func() error {
		if g == nil {
			// AWS answers an unknown name with TargetGroupNotFound, not an
			// empty list.
			return apiError(OpDescribeTargetGroups, "TargetGroupNotFound", elbv2.ErrTargetGroupNotFound, "One or more target groups not found")
		}
		return nil
	})
	if err != nil {
		return elbv2.TargetGroup{}, fmt.Errorf("finding target group named %q: %w", name, err)
	}
	return g.meta(), nil
}

func (f *TargetGroups) DeregistrationDelay(ctx context.Context, arn string, p elbv2.Priority) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: OpDescribeTargetGroupAttributes, ARN: arn, Priority: p}
	if err := f.spare(c); err != nil {
		return 0, err
	}
	var g *group
	err := f.request(ctx, c, func() (err error) {
		g, err = f.lookup(OpDescribeTargetGroupAttributes, arn)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reading attributes of target group %s: %w", arn, err)
	}
	return g.delay, nil
}

func (f *TargetGroups) Tags(ctx context.Context, arn string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: OpDescribeTags, ARN: arn}
	var g *group
	err := f.request(ctx, c, func() (err error) {
		g, err = f.lookup(OpDescribeTags, arn)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the tags of target group %s: %w", arn, err)
	}
	return maps.Clone(g.tags), nil
}

func (f *TargetGroups) TargetHealth(ctx context.Context, arn string, p elbv2.Priority) ([]targets.Health, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: OpDescribeTargetHealth, ARN: arn, Priority: p}
	if err := f.spare(c); err != nil {
		return nil, err
	}
	var g *group
	err := f.request(ctx, c, func() (err error) {
		g, err = f.lookup(OpDescribeTargetHealth, arn)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("describing target health of %s: %w", arn, err)
	}
	return g.health(), nil
}

func (f *TargetGroups) Register(ctx context.Context, arn string, ts []targets.Target, w elbv2.Write) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write(ctx, OpRegisterTargets, arn, ts, w, func(b []targets.Target) error {
		g, err := f.lookup(OpRegisterTargets, arn)
		if err != nil {
			return err
		}
		if err := f.validate(g, b); err != nil {
			return err
		}
		g.register(b, f.registerState())
		return nil
	}, func(n int, err error) error {
		return fmt.Errorf("registering %d targets in %s: %w", n, arn, err)
	})
}

func (f *TargetGroups) Deregister(ctx context.Context, arn string, ts []targets.Target, w elbv2.Write) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write(ctx, OpDeregisterTargets, arn, ts, w, func(b []targets.Target) error {
		g, err := f.lookup(OpDeregisterTargets, arn)
		if err != nil {
			return err
		}
		g.deregister(b, f.cfg.DrainImmediately)
		return nil
	}, func(n int, err error) error {
		return fmt.Errorf("deregistering %d targets from %s: %w", n, arn, err)
	})
}

// write sends ts in batches as the SDK adapter does, one request each, and
// stops at the first failure. The rate limiter decides on deferral before
// any batch reaches AWS, so a deferral covers the whole call.
func (f *TargetGroups) write(ctx context.Context, op, arn string, ts []targets.Target, w elbv2.Write,
	apply func([]targets.Target) error, wrap func(int, error) error) error {
	c := Call{Op: op, ARN: arn, Targets: ts, Write: w}
	if err := f.deferWrite(c); err != nil {
		return err
	}
	batch := f.cfg.BatchSize
	if batch < 1 {
		batch = targets.MaxTargetsPerCall
	}
	done := 0
	for _, b := range targets.Batches(ts, batch) {
		c.Targets = b
		if err := f.request(ctx, c, func() error { return apply(b) }); err != nil {
			err = wrap(len(b), err)
			if done > 0 {
				return &elbv2.PartialError{Done: clone(ts[:done]), Err: err}
			}
			return err
		}
		done += len(b)
	}
	return nil
}

// request is one AWS request: a cancelled context never leaves the client;
// otherwise AWS receives it (it is recorded) and answers with an injected
// error or with what apply says. Callers hold f.mu.
func (f *TargetGroups) request(ctx context.Context, c Call, apply func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := f.inject.take(c.Op, c.ARN)
	if err == nil {
		err = apply()
	}
	c.Err = err
	f.calls = append(f.calls, c.clone())
	return err
}

// lookup finds a group as every ELBv2 action taking a TargetGroupArn does.
// Callers hold f.mu.
func (f *TargetGroups) lookup(op, arn string) (*group, error) {
	if g, ok := f.groups[arn]; ok {
		return g, nil
	}
	return nil, apiError(op, "TargetGroupNotFound", elbv2.ErrTargetGroupNotFound, "Target groups '%s' not found", arn)
}

// byName returns the group named name, or nil. Names are unique per account
// and Region in AWS; with duplicates added by hand the first added wins.
func (f *TargetGroups) byName(name string) *group {
	for _, arn := range f.order {
		if g := f.groups[arn]; g.tg.Name == name {
			return g
		}
	}
	return nil
}

// validate rejects a RegisterTargets request as AWS does: one invalid
// target fails the whole request, and none of its targets is registered.
func (f *TargetGroups) validate(g *group, b []targets.Target) error {
	if g.tg.TargetType == "instance" {
		return f.validateInstances(b)
	}
	v6 := g.tg.IPAddressType == "ipv6"
	for _, t := range b {
		ip := t.IP.Unmap()
		switch {
		case f.inject.rejected(t):
			return apiError(OpRegisterTargets, "InvalidTarget", elbv2.ErrInvalidTarget, "The IP address '%s' is not a valid target", t.ID())
		case t.Instance != "":
			return apiError(OpRegisterTargets, "ValidationError", elbv2.ErrValidation, "The IP address '%s' is not a valid IP address", t.Instance)
		case ip.Is4() && v6:
			return apiError(OpRegisterTargets, "InvalidTarget", elbv2.ErrInvalidTarget, "The IPv4 address '%s' cannot be registered with an IPv6 target group", t.IP)
		case ip.Is6() && !v6:
			// A group created without IpAddressType is ipv4.
			return apiError(OpRegisterTargets, "InvalidTarget", elbv2.ErrInvalidTarget, "The IPv6 address '%s' cannot be registered with an IPv4 target group", t.IP)
		}
	}
	return nil
}

// validateInstances checks the targets of an instance group: AWS answers
// an Id that is no instance ID with ValidationError, and an instance that
// does not exist (here: one RejectTargets names) with InvalidTarget.
func (f *TargetGroups) validateInstances(b []targets.Target) error {
	for _, t := range b {
		switch {
		case t.Instance == "":
			return apiError(OpRegisterTargets, "ValidationError", elbv2.ErrValidation, "Instance ID '%s' is not valid", t.ID())
		case f.inject.rejected(t):
			return apiError(OpRegisterTargets, "InvalidTarget", elbv2.ErrInvalidTarget, "The following instances do not exist: '%s'", t.Instance)
		}
	}
	return nil
}

// apiError is the error the SDK adapter makes of an AWS error code.
func apiError(op, code string, kind error, format string, args ...any) *elbv2.APIError {
	return &elbv2.APIError{Op: op, Code: code, Message: fmt.Sprintf(format, args...), Kind: kind}
}

func clone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
