// Package elbv2 is tgc's boundary to Elastic Load Balancing v2. The
// controllers see only the small domain interface TargetGroups; the SDK client
// sits behind it, wrapped by decorators for rate limiting and metrics.
package elbv2

import (
	"context"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// TargetGroup is what tgc needs to know about a target group.
type TargetGroup struct {
	ARN              string
	Name             string
	TargetType       string // "ip", "instance", "lambda", "alb"
	IPAddressType    string // "ipv4" or "ipv6"
	Protocol         string
	Port             int32
	VPCID            string
	LoadBalancerARNs []string
	// HealthCheckPort is the port health checks use: "traffic-port" or a
	// number.
	HealthCheckPort string
}

// TargetGroups is the domain interface the controllers use.
type TargetGroups interface {
	// TargetGroupPage returns one page of every target group in the account
	// and Region (DescribeTargetGroups without a filter), and the marker of
	// the next page, empty after the last. One sweep describes hundreds of
	// groups per call where describing them one by one costs a call each.
	TargetGroupPage(ctx context.Context, marker string) ([]TargetGroup, string, error)
	// DescribeTargetGroup returns the group with this ARN.
	DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error)
	// FindTargetGroupByName resolves a target group name to the group.
	FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error)
	// DeregistrationDelay reads the group's
	// deregistration_delay.timeout_seconds attribute.
	DeregistrationDelay(ctx context.Context, arn string, p Priority) (time.Duration, error)
	// Tags reads the group's AWS tags, which TargetGroupPolicies may match
	// on; tgc reads them only when some policy does.
	Tags(ctx context.Context, arn string) (map[string]string, error)
	// TargetHealth lists the group's registered targets with their health.
	TargetHealth(ctx context.Context, arn string, p Priority) ([]targets.Health, error)
	// Register adds targets, as many calls as the per-call limit needs; AWS
	// treats re-registration as a no-op. When a later call fails after
	// earlier ones succeeded, the error is a *PartialError naming the
	// targets AWS accepted.
	Register(ctx context.Context, arn string, ts []targets.Target, w Write) error
	// Deregister removes targets, batched and reported like Register;
	// deregistering an unknown target succeeds.
	Deregister(ctx context.Context, arn string, ts []targets.Target, w Write) error
}

// Priority says how a read may spend the shared Describe bucket.
type Priority int

const (
	// Required reads wait for their token: what they return decides what is
	// written, or whether a binding can be synced at all.
	Required Priority = iota
	// Spare reads (status health polls, attribute refreshes) run only while
	// their bucket holds more than half its burst, and otherwise fail at once
	// with ErrDeferred, so that they never delay, or take tokens from, the
	// calls that keep target groups correct.
	Spare
	// Background reads wait for their token like Required ones, but take it
	// only when the bucket holds another besides, and no Required read has
	// booked it: the verification of every group after a start runs on
	// them, so that a binding with a change to write reads its group at
	// once, or on the next token, instead of behind every waiting
	// verification.
	Background
)

// Write says how long a Register or Deregister may wait for its rate-limit
// tokens.
type Write struct {
	// MaxWait bounds the wait. Beyond it the call returns a *DeferredError
	// without calling AWS, and its tokens stay booked for the target group.
	// A reconcile worker blocked on one bucket would otherwise hold up
	// bindings waiting on another: deregistrations must never queue behind
	// registrations. Zero waits as long as the context allows.
	MaxWait time.Duration
}
