package emulator

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// dualStackVPC is the default VPC with an IPv6 block, and v6PodPrefix the
// part of it the loopback kubelet hands to pods, mapped onto the same
// loopback range as the IPv4 pod CIDR.
var (
	dualStackVPC = VPC{ID: DefaultVPC.ID, CIDR: DefaultVPC.CIDR, IPv6CIDR: mustPrefix("fd00:10:244::/56")}
	v6PodPrefix  = mustPrefix("fd00:10:244::/112")
)

func withDualStackVPC(c *Config) {
	c.VPCs = []VPC{dualStackVPC}
	c.DialMap = []DialMapping{
		{From: mustPrefix("10.244.0.0/16"), To: mustPrefix("127.244.0.0/16")},
		{From: v6PodPrefix, To: mustPrefix("127.244.0.0/16")},
	}
}

func (h *harness) ipv6Group() types.TargetGroup {
	h.t.Helper()
	return h.group(func(in *elbv2.CreateTargetGroupInput) { in.IpAddressType = types.TargetGroupIpAddressTypeEnumIpv6 })
}

func (h *harness) loadBalancerOfType(ipType types.IpAddressType) (types.LoadBalancer, error) {
	h.t.Helper()
	out, err := h.c.CreateLoadBalancer(h.ctx, &elbv2.CreateLoadBalancerInput{
		Name:          aws.String("lb-" + strconv.FormatInt(tgCounter.Add(1), 10)),
		Type:          types.LoadBalancerTypeEnumApplication,
		IpAddressType: ipType,
	})
	if err != nil {
		return types.LoadBalancer{}, err
	}
	return out.LoadBalancers[0], nil
}

func TestIPv6TargetValidation(t *testing.T) {
	h := start(t, withDualStackVPC)
	v6 := h.ipv6Group()
	noV6 := start(t) // the default VPC has no IPv6 block
	noV6Group := noV6.ipv6Group()
	cases := map[string]struct {
		h      *harness
		group  types.TargetGroup
		target types.TargetDescription
		code   string
	}{
		"IPv6 target inside the VPC's IPv6 block is accepted":          {h, v6, ipTarget("fd00:10:244:5::9", 80), ""},
		"IPv6 target outside the VPC's IPv6 block is rejected":         {h, v6, ipTarget("fd00:10:245::9", 80), "InvalidTarget"},
		"IPv6 ULA outside the VPC is rejected even with zone all":      {h, v6, types.TargetDescription{Id: aws.String("fd12::9"), AvailabilityZone: aws.String("all")}, "InvalidTarget"},
		"IPv6 target inside the VPC must not use zone all":             {h, v6, types.TargetDescription{Id: aws.String("fd00:10:244::9"), AvailabilityZone: aws.String("all")}, "ValidationError"},
		"IPv4 target in an IPv6 group is rejected":                     {h, v6, ipTarget("10.244.1.2", 80), "InvalidTarget"},
		"IPv4-mapped IPv6 address is rejected":                         {h, v6, ipTarget("::ffff:10.244.1.2", 80), "InvalidTarget"},
		"IPv6 target in a VPC without an IPv6 block is rejected":       {noV6, noV6Group, ipTarget("fd00:10:244::9", 80), "InvalidTarget"},
		"IPv6 target in an IPv4 group of a dual-stack VPC is rejected": {h, h.group(), ipTarget("fd00:10:244::9", 80), "InvalidTarget"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.h.c.RegisterTargets(tc.h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tc.group.TargetGroupArn, Targets: []types.TargetDescription{tc.target}})
			tc.h.wantCode(err, tc.code)
		})
	}
}

func TestDualstackLoadBalancerNeedsAVPCWithAnIPv6Block(t *testing.T) {
	cases := map[string]struct {
		configure func(*Config)
		ipType    types.IpAddressType
		code      string
	}{
		"dualstack in a VPC with an IPv6 block is created": {withDualStackVPC, types.IpAddressTypeDualstack, ""},
		"dualstack in a VPC without an IPv6 block fails":   {func(*Config) {}, types.IpAddressTypeDualstack, "ValidationError"},
		"ipv4 needs no IPv6 block":                         {func(*Config) {}, types.IpAddressTypeIpv4, ""},
		"an unknown IP address type fails":                 {withDualStackVPC, types.IpAddressType("ipv6"), "ValidationError"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := start(t, tc.configure)
			lb, err := h.loadBalancerOfType(tc.ipType)
			h.wantCode(err, tc.code)
			if err == nil && lb.IpAddressType != tc.ipType {
				t.Fatalf("load balancer reads IpAddressType %q, want %q", lb.IpAddressType, tc.ipType)
			}
		})
	}
}

func TestIPv6GroupAttachesOnlyToADualstackLoadBalancer(t *testing.T) {
	h := start(t, withDualStackVPC)
	v6 := h.ipv6Group()
	v4LB, err := h.loadBalancerOfType(types.IpAddressTypeIpv4)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: v4LB.LoadBalancerArn,
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(int32(freePort(t))),
		DefaultActions:  []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: v6.TargetGroupArn}},
	})
	h.wantCode(err, "ValidationError")
	h.register(v6, ipTarget("fd00:10:244::9", 80))
	if th := h.health(v6)["fd00:10:244::9:80"]; th.Reason != types.TargetHealthReasonEnumNotInUse {
		t.Fatalf("target of the refused group reads %s/%s, want unused/Target.NotInUse: no listener may forward to it", th.State, th.Reason)
	}
	dual, err := h.loadBalancerOfType(types.IpAddressTypeDualstack)
	if err != nil {
		t.Fatal(err)
	}
	h.listen(dual, v6)
}

func TestDualstackListenerServesIPv6TargetsThroughTheDialMap(t *testing.T) {
	h := start(t, withDualStackVPC)
	b := newBackend(t, "127.244.6.1")
	// fd00:10:244::601 keeps the host bits 0x0601 of 127.244.6.1.
	target := ipTarget("fd00:10:244::601", int32(b.addr.Port()))
	key := "fd00:10:244::601:" + strconv.Itoa(int(b.addr.Port()))
	v6 := h.ipv6Group()
	dual, err := h.loadBalancerOfType(types.IpAddressTypeDualstack)
	if err != nil {
		t.Fatal(err)
	}
	_, addr := h.listen(dual, v6)
	h.register(v6, target)
	h.waitState(v6, key, types.TargetHealthStateEnumHealthy, 3*time.Second)
	for range 3 {
		if status, _ := get(t, addr, "/work"); status != 200 {
			t.Fatalf("status %d through the dualstack listener, want 200", status)
		}
	}
	if got := b.hits.Load(); got != 3 {
		t.Fatalf("the IPv6 target's server saw %d requests, want 3", got)
	}
}

func TestVPCIPv6BlockMustBeAnIPv6PrefixOfAVPCSize(t *testing.T) {
	cases := map[string]VPC{
		"an IPv4 prefix as the IPv6 block": {ID: DefaultVPC.ID, CIDR: DefaultVPC.CIDR, IPv6CIDR: mustPrefix("10.0.0.0/16")},
		"an IPv6 block smaller than /64":   {ID: DefaultVPC.ID, CIDR: DefaultVPC.CIDR, IPv6CIDR: mustPrefix("fd00:10:244::/112")},
		"an IPv6 prefix as the IPv4 CIDR":  {ID: DefaultVPC.ID, CIDR: mustPrefix("fd00:10:244::/56")},
	}
	for name, vpc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := New(Config{VPCs: []VPC{vpc}}); err == nil {
				t.Fatalf("New accepted VPC %+v", vpc)
			}
		})
	}
	if _, err := New(Config{VPCs: []VPC{dualStackVPC}}); err != nil {
		t.Fatalf("New refused the dual-stack VPC: %v", err)
	}
}

func TestDescribeVpcsListsTheIPv6BlockOfADualStackVPC(t *testing.T) {
	h := start(t, func(c *Config) { c.VPCs = []VPC{dualStackVPC, vpcB} })
	c := ec2Client(h.emu.URL())
	out, err := c.DescribeVpcs(h.ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ec2types.Vpc{}
	for _, v := range out.Vpcs {
		byID[aws.ToString(v.VpcId)] = v
	}
	dual := byID[dualStackVPC.ID].Ipv6CidrBlockAssociationSet
	if len(dual) != 1 || aws.ToString(dual[0].Ipv6CidrBlock) != "fd00:10:244::/56" || dual[0].Ipv6CidrBlockState.State != ec2types.VpcCidrBlockStateCodeAssociated {
		t.Fatalf("dual-stack VPC's IPv6 associations = %+v, want fd00:10:244::/56 associated", dual)
	}
	if v4 := byID[vpcB.ID].Ipv6CidrBlockAssociationSet; len(v4) != 0 {
		t.Fatalf("IPv4-only VPC lists IPv6 associations %+v", v4)
	}
	filtered, err := c.DescribeVpcs(h.ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("ipv6-cidr-block-association.ipv6-cidr-block", "fd00:10:244::/56")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := vpcIDs(filtered.Vpcs); !slices.Equal(got, []string{dualStackVPC.ID}) {
		t.Fatalf("filter on the IPv6 block = %v, want only the dual-stack VPC", got)
	}
}
