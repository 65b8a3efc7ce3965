package targets

import (
	"cmp"
	"net/netip"
	"slices"
)

// Key is how tgc matches a desired target with one DescribeTargetHealth
// reports: by IP and port only. For ip targets inside the VPC the
// AvailabilityZone is optional at registration and AWS fills it in itself, so
// a target tgc registered without a zone may come back with one; comparing the
// zone too would make tgc deregister and re-register its own targets.
func (t Target) Key() netip.AddrPort {
	return netip.AddrPortFrom(t.IP.Unmap(), uint16(t.Port))
}

// Compare orders targets by IP, then port, then zone, so that plans and
// batches are deterministic.
func Compare(a, b Target) int {
	if c := a.IP.Compare(b.IP); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	return cmp.Compare(a.AvailabilityZone, b.AvailabilityZone)
}

// Sort sorts targets in place in Compare order and returns them.
func Sort(ts []Target) []Target {
	slices.SortFunc(ts, Compare)
	return ts
}
