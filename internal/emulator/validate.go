package emulator

import (
	"net/netip"
	"regexp"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Private ranges an IP target outside the VPC may use, per the
// TargetDescription reference: RFC 1918 and RFC 6598 (shared address space).
// IPv6 targets must be in the VPC (ipv6.go).
var outsideVPCRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// instanceIDPattern is an EC2 instance ID: "i-" and 8 (older instances) or
// 17 hexadecimal digits.
var instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

// availabilityZoneAll marks an IP target outside the VPC.
const availabilityZoneAll = "all"

// validateIPTarget applies RegisterTargets' rules for ip targets and returns
// the parsed address. Messages follow what AWS answers, as quoted in
// kubernetes-sigs/aws-load-balancer-controller#561 and #3714.
func validateIPTarget(id, az, ipAddressType string, vpc VPC) (netip.Addr, *query.Error) {
	addr, err := netip.ParseAddr(id)
	if err != nil || addr.Zone() != "" || addr.Is4In6() {
		return netip.Addr{}, errInvalidTarget("The IP address '%s' is not a valid IP address", id)
	}
	if ipAddressType == "ipv6" && addr.Is4() {
		return addr, errInvalidTarget("The IPv4 address '%s' cannot be registered with an IPv6 target group", id)
	}
	if ipAddressType != "ipv6" && addr.Is6() {
		return addr, errInvalidTarget("The IPv6 address '%s' cannot be registered with an IPv4 target group", id)
	}
	if addr.IsLoopback() || addr.IsUnspecified() || addr.IsMulticast() || addr.IsLinkLocalUnicast() {
		return addr, errInvalidTarget("The IP address '%s' is not a valid target: loopback, link-local, multicast and unspecified addresses cannot be registered", id)
	}
	if addr.Is6() {
		return addr, validateIPv6Target(id, az, addr, vpc)
	}
	if vpc.CIDR.Contains(addr) {
		if az == availabilityZoneAll {
			return addr, errValidation("The IP address '%s' is within the VPC, and cannot have its Availability Zone overridden to 'all'", id)
		}
		return addr, nil
	}
	for _, r := range outsideVPCRanges {
		if r.Contains(addr) {
			if az != availabilityZoneAll {
				return addr, errValidation("The Availability Zone is required for IP address '%s' because it is not in the VPC: specify 'all'", id)
			}
			return addr, nil
		}
	}
	return addr, errInvalidTarget("The IP address '%s' is publicly routable; only addresses in the VPC or in private ranges (RFC 1918, RFC 6598) can be registered", id)
}
