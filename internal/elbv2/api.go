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
	DeregistrationDelay(ctx context.Context, arn string) (time.Duration, error)
	// TargetHealth lists the group's targets with their health; with targets
	// given, only those (unregistered ones read as unused/Target.NotRegistered).
	TargetHealth(ctx context.Context, arn string, only ...targets.Target) ([]targets.Health, error)
	// Register adds targets; AWS treats re-registration as a no-op.
	Register(ctx context.Context, arn string, ts []targets.Target) error
	// Deregister removes targets; deregistering an unknown target succeeds.
	Deregister(ctx context.Context, arn string, ts []targets.Target) error
}
