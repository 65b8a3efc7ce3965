package targets

import (
	"cmp"
	"net/netip"
	"slices"
)

// Key is how tgc matches a desired target with one DescribeTargetHealth
// reports: by Id and port only. For targets inside the VPC the
// AvailabilityZone is optional at registration and AWS fills it in itself, so
// a target tgc registered without a zone may come back with one; comparing the
// zone too would make tgc deregister and re-register its own targets.
type Key struct {
	ip       netip.Addr
	instance string
	port     uint16
}

// Key returns the target's key.
func (t Target) Key() Key {
	return Key{ip: t.IP.Unmap(), instance: t.Instance, port: uint16(t.Port)}
}

// IP is the key's address; the zero Addr for an instance target.
func (k Key) IP() netip.Addr { return k.ip }

func (k Key) String() string {
	return Target{IP: k.ip, Instance: k.instance, Port: int32(k.port)}.String()
}

// Compare orders targets by IP, then instance ID, then port, then zone, so
// that plans and batches are deterministic.
func Compare(a, b Target) int {
	if c := a.IP.Compare(b.IP); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Instance, b.Instance); c != 0 {
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
