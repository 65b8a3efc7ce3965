package emulator

import (
	"fmt"
	"net/netip"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// IP address types of a load balancer (CreateLoadBalancer's IpAddressType).
const (
	lbIPv4                   = "ipv4"
	lbDualstack              = "dualstack"
	lbDualstackWithoutPublic = "dualstack-without-public-ipv4"
)

// validateIPv6 checks the VPC's optional IPv6 block. AWS gives a VPC a /56
// (or a BYOIP/IPAM block of /44 to /60); the emulator takes any IPv6 prefix
// of /44 to /64, so a test can use a unique local range such as
// fd00:10:244::/56 that never leaves the machine.
func (v VPC) validateIPv6() error {
	p := v.IPv6CIDR
	if !p.IsValid() {
		return nil
	}
	if !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() < 44 || p.Bits() > 64 {
		return fmt.Errorf("VPC %s: IPv6 CIDR %s must be an IPv6 prefix of /44 to /64, e.g. fd00:10:244::/56", v.ID, p)
	}
	return nil
}

// validateIPv6Target applies RegisterTargets' rules to an IPv6 address: AWS
// registers IPv6 targets from the subnets of the group's VPC only (the
// private ranges an IPv4 target may use outside the VPC with
// AvailabilityZone=all are all IPv4), so an address outside the VPC's IPv6
// block is refused, and one inside must not override its zone.
func validateIPv6Target(id, az string, addr netip.Addr, vpc VPC) *query.Error {
	if !vpc.IPv6CIDR.IsValid() {
		return errInvalidTarget("The IPv6 address '%s' cannot be registered: VPC '%s' has no IPv6 CIDR block", id, vpc.ID)
	}
	if !vpc.IPv6CIDR.Contains(addr) {
		return errInvalidTarget("The IPv6 address '%s' is not within the IPv6 CIDR block %s of VPC '%s'", id, vpc.IPv6CIDR, vpc.ID)
	}
	if az == availabilityZoneAll {
		return errValidation("The IP address '%s' is within the VPC, and cannot have its Availability Zone overridden to 'all'", id)
	}
	return nil
}

// loadBalancerIPType checks CreateLoadBalancer's IpAddressType: a dualstack
// load balancer needs a VPC with an IPv6 block (the ELB guide's "Dualstack
// requirements"), and dualstack-without-public-ipv4 is for internet-facing
// application load balancers only.
func loadBalancerIPType(ipType, lbType, scheme string, vpc VPC) (string, *query.Error) {
	switch ipType {
	case "":
		return lbIPv4, nil
	case lbIPv4:
		return ipType, nil
	case lbDualstack, lbDualstackWithoutPublic:
		if ipType == lbDualstackWithoutPublic && (lbType != lbTypeApplication || scheme != "internet-facing") {
			return "", errValidation("IP address type '%s' is supported only for internet-facing application load balancers", ipType)
		}
		if !vpc.IPv6CIDR.IsValid() {
			return "", errValidation("The load balancer cannot be '%s' because VPC '%s' has no IPv6 CIDR block", ipType, vpc.ID)
		}
		return ipType, nil
	}
	return "", errValidation("IP address type '%s' must be one of ipv4, dualstack, dualstack-without-public-ipv4", ipType)
}

// checkGroupFamily refuses to attach an IPv6 group to an IPv4-only load
// balancer, with AWS's words: such a load balancer cannot reach IPv6
// targets, so the group would never serve.
func checkGroupFamily(lb *loadBalancer, g *targetGroup) *query.Error {
	if g.ipAddressType == "ipv6" && lb.ipAddressType == lbIPv4 {
		return errValidation("You cannot associate an IPv6 target group with a load balancer that has an '%s' IP address type", lb.ipAddressType)
	}
	return nil
}

// ec2IPv6CIDRAssociation is one item of a VPC's ipv6CidrBlockAssociationSet
// in DescribeVpcs.
type ec2IPv6CIDRAssociation struct {
	AssociationID      string       `xml:"associationId"`
	IPv6CIDRBlock      string       `xml:"ipv6CidrBlock"`
	IPv6CIDRBlockState ec2CIDRState `xml:"ipv6CidrBlockState"`
	NetworkBorderGroup string       `xml:"networkBorderGroup"`
	IPv6Pool           string       `xml:"ipv6Pool"`
}

// ec2IPv6Association describes the VPC's IPv6 block as Amazon-provided
// (pool "Amazon", border group the region), or nil without one.
func (e *Emulator) ec2IPv6Association(v VPC) *ec2IPv6CIDRAssociation {
	if !v.IPv6CIDR.IsValid() {
		return nil
	}
	return &ec2IPv6CIDRAssociation{
		AssociationID:      derivedID("vpc-cidr-assoc-", "ipv6-cidr", v.ID),
		IPv6CIDRBlock:      v.IPv6CIDR.String(),
		IPv6CIDRBlockState: ec2CIDRState{State: "associated"},
		NetworkBorderGroup: e.cfg.Region,
		IPv6Pool:           "Amazon",
	}
}

// field is one filter value of the association, none without one.
func (a *ec2IPv6CIDRAssociation) field(get func(ec2IPv6CIDRAssociation) string) []string {
	if a == nil {
		return nil
	}
	return []string{get(*a)}
}
