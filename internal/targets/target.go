// Package targets turns Kubernetes endpoints into ELBv2 targets and computes
// the changes that bring a target group to the desired set. Everything here is
// pure: no I/O, no clock.
package targets

import (
	"fmt"
	"net/netip"
)

// Target is the identity of an ELBv2 target. AWS identifies a registered
// target by (Id, Port, AvailabilityZone); for ip targets inside the VPC the
// zone is empty, so IP and Port are what matter.
type Target struct {
	IP               netip.Addr
	Port             int32
	AvailabilityZone string
}

func (t Target) String() string {
	s := netip.AddrPortFrom(t.IP, uint16(t.Port)).String()
	if t.AvailabilityZone != "" {
		s += "/" + t.AvailabilityZone
	}
	return s
}

// Validate reports a target that AWS would never accept as an ip target.
func (t Target) Validate() error {
	if !t.IP.IsValid() {
		return fmt.Errorf("target has no IP address")
	}
	if t.Port < 1 || t.Port > 65535 {
		return fmt.Errorf("target %s has port %d outside 1-65535", t.IP, t.Port)
	}
	return nil
}
