package targets

import "net/netip"

// ZoneAll is the AvailabilityZone that registers an IP target outside the
// target group's VPC: reached over a peering, a transit gateway or Direct
// Connect, in no zone of the VPC.
const ZoneAll = "all"

// privateOutsideVPC are the ranges an IP target outside the VPC may use,
// per the ELBv2 TargetDescription reference: "the subnets of the VPC for
// the target group, the RFC 1918 range (10.0.0.0/8, 172.16.0.0/12, and
// 192.168.0.0/16), and the RFC 6598 range (100.64.0.0/10)".
var privateOutsideVPC = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// ZoneFor decides the AvailabilityZone to register ip with, given the
// CIDRs of the group's VPC: none inside the VPC (AWS finds the zone
// itself), ZoneAll for a private IPv4 address outside it. ok is false for
// any other address outside the VPC, which AWS refuses to register.
func ZoneFor(ip netip.Addr, vpc []netip.Prefix) (zone string, ok bool) {
	ip = ip.Unmap()
	for _, p := range vpc {
		if p.Contains(ip) {
			return "", true
		}
	}
	if !ip.Is4() {
		return "", false
	}
	for _, p := range privateOutsideVPC {
		if p.Contains(ip) {
			return ZoneAll, true
		}
	}
	return "", false
}
