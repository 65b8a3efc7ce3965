package elbv2

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// VPCClient is the part of *ec2.Client the adapter calls.
type VPCClient interface {
	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
}

// zones gives IP targets outside their group's VPC the AvailabilityZone
// "all", without which AWS refuses them. That is the common case across
// accounts: the pods live in the cluster's VPC, the group in the network
// account's. It reads each group's VPC and that VPC's CIDRs once: a VPC's
// CIDRs change by hand, rarely, and an address wrongly judged outside
// gets a clear ValidationError from AWS, not a silent misregistration.
type zones struct {
	elb SDKClient
	ec2 VPCClient

	mu    sync.Mutex
	cidrs map[string][]netip.Prefix // by target group ARN
}

// WithZones makes the adapter decide each IP target's zone from the CIDRs
// of its group's VPC, read through vpcs (ec2:DescribeVpcs). Use it for
// groups in another account, whose VPC is not the pods'.
func (s *SDK) WithZones(vpcs VPCClient) *SDK {
	s.zones = &zones{elb: s.client, ec2: vpcs, cidrs: map[string][]netip.Prefix{}}
	return s
}

// of returns the CIDRs of the group's VPC.
func (z *zones) of(ctx context.Context, arn string) ([]netip.Prefix, error) {
	z.mu.Lock()
	cidrs, ok := z.cidrs[arn]
	z.mu.Unlock()
	if ok {
		return cidrs, nil
	}
	out, err := z.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("describing target group %s for its VPC: %w", arn, mapError("DescribeTargetGroups", err))
	}
	tg, err := only(out.TargetGroups, arn)
	if err != nil {
		return nil, err
	}
	vpcs, err := z.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{tg.VPCID}})
	if err != nil {
		return nil, fmt.Errorf("reading the CIDRs of VPC %s of target group %s: %w", tg.VPCID, arn, mapError("DescribeVpcs", err))
	}
	for _, v := range vpcs.Vpcs {
		for _, a := range v.CidrBlockAssociationSet {
			if p, err := netip.ParsePrefix(aws.ToString(a.CidrBlock)); err == nil {
				cidrs = append(cidrs, p)
			}
		}
		if len(v.CidrBlockAssociationSet) == 0 {
			if p, err := netip.ParsePrefix(aws.ToString(v.CidrBlock)); err == nil {
				cidrs = append(cidrs, p)
			}
		}
	}
	if len(cidrs) == 0 {
		return nil, fmt.Errorf("VPC %s of target group %s has no IPv4 CIDR that DescribeVpcs reports", tg.VPCID, arn)
	}
	z.mu.Lock()
	z.cidrs[arn] = cidrs
	z.mu.Unlock()
	return cidrs, nil
}

// place sets the zone of each IP target the adapter registers. An address
// no zone can place (public, outside the VPC) is left as it is, for AWS to
// refuse with its own message, which names the address.
func (z *zones) place(ctx context.Context, arn string, ts []targets.Target) ([]targets.Target, error) {
	if z == nil || len(ts) == 0 || !ts[0].IP.IsValid() {
		return ts, nil
	}
	cidrs, err := z.of(ctx, arn)
	if err != nil {
		return nil, err
	}
	out := make([]targets.Target, len(ts))
	for i, t := range ts {
		out[i] = t
		if zone, ok := targets.ZoneFor(t.IP, cidrs); ok && t.AvailabilityZone == "" {
			out[i].AvailabilityZone = zone
		}
	}
	return out, nil
}
