package elbv2

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// SDKClient is the part of *elasticloadbalancingv2.Client that tgc calls:
// exactly these six operations, which is also what aws/policy.json allows.
type SDKClient interface {
	DescribeTargetGroups(ctx context.Context, in *elb.DescribeTargetGroupsInput, opts ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	DescribeTargetGroupAttributes(ctx context.Context, in *elb.DescribeTargetGroupAttributesInput, opts ...func(*elb.Options)) (*elb.DescribeTargetGroupAttributesOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, opts ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
	DescribeTags(ctx context.Context, in *elb.DescribeTagsInput, opts ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
	RegisterTargets(ctx context.Context, in *elb.RegisterTargetsInput, opts ...func(*elb.Options)) (*elb.RegisterTargetsOutput, error)
	DeregisterTargets(ctx context.Context, in *elb.DeregisterTargetsInput, opts ...func(*elb.Options)) (*elb.DeregisterTargetsOutput, error)
}

// SDK implements TargetGroups over the AWS SDK. Retries of throttling and
// 5xx answers happen inside the SDK client (see NewClient); SDK adds
// batching and turns AWS error codes into the errors of errors.go.
type SDK struct {
	client    SDKClient
	batchSize int
	// zones, when set, places IP targets outside the group's VPC in zone
	// "all" (WithZones).
	zones *zones
}

var _ TargetGroups = (*SDK)(nil)

// NewSDK returns the adapter over client, sending at most
// targets.MaxTargetsPerCall targets per call.
func NewSDK(client SDKClient) *SDK {
	return &SDK{client: client, batchSize: targets.MaxTargetsPerCall}
}

// deregistrationDelayKey is the target group attribute holding the
// deregistration delay in seconds (ELBv2 API reference,
// TargetGroupAttribute).
const deregistrationDelayKey = "deregistration_delay.timeout_seconds"

// pageSize is the most target groups one DescribeTargetGroups answers
// (PageSize, 1-400, in the ELBv2 API reference).
const pageSize = 400

func (s *SDK) TargetGroupPage(ctx context.Context, marker string) ([]TargetGroup, string, error) {
	in := &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(pageSize)}
	if marker != "" {
		in.Marker = aws.String(marker)
	}
	out, err := s.client.DescribeTargetGroups(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("listing target groups: %w", mapError("DescribeTargetGroups", err))
	}
	page := make([]TargetGroup, 0, len(out.TargetGroups))
	for _, g := range out.TargetGroups {
		page = append(page, fromSDK(g))
	}
	return page, aws.ToString(out.NextMarker), nil
}

func (s *SDK) DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error) {
	out, err := s.client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil {
		return TargetGroup{}, fmt.Errorf("describing target group %s: %w", arn, mapError("DescribeTargetGroups", err))
	}
	return only(out.TargetGroups, arn)
}

func (s *SDK) FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error) {
	out, err := s.client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{name}})
	if err != nil {
		return TargetGroup{}, fmt.Errorf("finding target group named %q: %w", name, mapError("DescribeTargetGroups", err))
	}
	return only(out.TargetGroups, name)
}

// only returns the single group of a DescribeTargetGroups answer.
func only(groups []elbtypes.TargetGroup, asked string) (TargetGroup, error) {
	if len(groups) == 0 {
		// AWS answers an unknown name or ARN with TargetGroupNotFound; an
		// empty list is treated the same in case an implementation does not.
		return TargetGroup{}, fmt.Errorf("target group %s: %w", asked, ErrTargetGroupNotFound)
	}
	return fromSDK(groups[0]), nil
}

func fromSDK(g elbtypes.TargetGroup) TargetGroup {
	tg := TargetGroup{
		ARN:              aws.ToString(g.TargetGroupArn),
		Name:             aws.ToString(g.TargetGroupName),
		TargetType:       string(g.TargetType),
		IPAddressType:    string(g.IpAddressType),
		Protocol:         string(g.Protocol),
		Port:             aws.ToInt32(g.Port),
		VPCID:            aws.ToString(g.VpcId),
		LoadBalancerARNs: g.LoadBalancerArns,
		HealthCheckPort:  aws.ToString(g.HealthCheckPort),
	}
	if tg.IPAddressType == "" {
		tg.IPAddressType = "ipv4" // the API default when the group was created without one
	}
	return tg
}

func (s *SDK) DeregistrationDelay(ctx context.Context, arn string, _ Priority) (time.Duration, error) {
	attrs, err := s.client.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return 0, fmt.Errorf("reading attributes of target group %s: %w", arn, mapError("DescribeTargetGroupAttributes", err))
	}
	for _, a := range attrs.Attributes {
		if aws.ToString(a.Key) != deregistrationDelayKey {
			continue
		}
		secs, err := strconv.Atoi(aws.ToString(a.Value))
		if err != nil {
			return 0, fmt.Errorf("target group %s has %s=%q: %w", arn, deregistrationDelayKey, aws.ToString(a.Value), err)
		}
		return time.Duration(secs) * time.Second, nil
	}
	// AWS always lists the attribute; zero means unknown to the callers.
	return 0, nil
}

func (s *SDK) Tags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := s.client.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("reading the tags of target group %s: %w", arn, mapError("DescribeTags", err))
	}
	tags := map[string]string{}
	for _, d := range out.TagDescriptions {
		if aws.ToString(d.ResourceArn) != arn {
			continue
		}
		for _, t := range d.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}

func (s *SDK) TargetHealth(ctx context.Context, arn string, _ Priority) ([]targets.Health, error) {
	// Without Targets, AWS lists every registered target.
	out, err := s.client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describing target health of %s: %w", arn, mapError("DescribeTargetHealth", err))
	}
	hs := make([]targets.Health, 0, len(out.TargetHealthDescriptions))
	for _, d := range out.TargetHealthDescriptions {
		if d.Target == nil {
			continue
		}
		t, err := targets.ParseID(aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), aws.ToString(d.Target.AvailabilityZone))
		if err != nil {
			// Only ip and instance target groups are supported; a Lambda
			// or ALB ARN here means the binding points at the wrong kind
			// of group.
			return nil, fmt.Errorf("reading the targets of target group %s: %w", arn, err)
		}
		h := targets.Health{Target: t}
		if d.TargetHealth != nil {
			h.State = targets.State(d.TargetHealth.State)
			h.Reason = string(d.TargetHealth.Reason)
			h.Description = aws.ToString(d.TargetHealth.Description)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

func (s *SDK) Register(ctx context.Context, arn string, ts []targets.Target, _ Write) error {
	ts, err := s.zones.place(ctx, arn, ts)
	if err != nil {
		return err
	}
	return s.batched(ts, func(b []targets.Target) error {
		_, err := s.client.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: descriptions(b)})
		if err != nil {
			return fmt.Errorf("registering %d targets in %s: %w", len(b), arn, mapError("RegisterTargets", err))
		}
		return nil
	})
}

func (s *SDK) Deregister(ctx context.Context, arn string, ts []targets.Target, _ Write) error {
	return s.batched(ts, func(b []targets.Target) error {
		_, err := s.client.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: descriptions(b)})
		if err != nil {
			return fmt.Errorf("deregistering %d targets from %s: %w", len(b), arn, mapError("DeregisterTargets", err))
		}
		return nil
	})
}

// batched calls fn for each batch in order and stops at the first failure.
// Batches run one after another: the rate limiter paces them anyway, and
// stopping early keeps a rejected target from being retried 200 at a time.
func (s *SDK) batched(ts []targets.Target, fn func([]targets.Target) error) error {
	done := 0
	for _, b := range targets.Batches(ts, s.batchSize) {
		if err := fn(b); err != nil {
			if done > 0 {
				return &PartialError{Done: ts[:done:done], Err: err}
			}
			return err
		}
		done += len(b)
	}
	return nil
}

func descriptions(ts []targets.Target) []elbtypes.TargetDescription {
	if len(ts) == 0 {
		return nil
	}
	out := make([]elbtypes.TargetDescription, len(ts))
	for i, t := range ts {
		out[i] = elbtypes.TargetDescription{Id: aws.String(t.ID()), Port: aws.Int32(t.Port)}
		// Inside the VPC AWS detects the zone itself; send one only when
		// AWS reported it, so a deregistration names the registered target.
		if t.AvailabilityZone != "" {
			out[i].AvailabilityZone = aws.String(t.AvailabilityZone)
		}
	}
	return out
}

// mapError turns an SDK error into an *APIError when AWS answered with an
// error code, keeping context cancellation and transport errors as they are.
// After the SDK's retries give up on throttling, the error still carries the
// last attempt's Throttling code, so it maps to ErrThrottled.
func mapError(op string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	return &APIError{Op: op, Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Kind: KindOf(ae.ErrorCode())}
}
