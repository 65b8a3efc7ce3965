package kubelet

import (
	"fmt"
	"net/netip"
)

// loopbackMapper maps a pod IP onto the loopback address its servers listen
// on. Tests may only dial loopback addresses (127.0.0.0/8), while the API
// server rejects loopback addresses in EndpointSlices, so a pod has both.
//
// A dual-stack or IPv6-only pod's IPv6 address has the same host bits as
// the IPv4 address the kubelet allocates for it (its slot), in the IPv6 pod
// prefix: fd00:10:244::307 and 10.244.3.7 are one pod, served on
// 127.244.3.7. So one address per pod is claimed and listened on, and the
// ELBv2 emulator's dial map sends the IPv6 address to the same place
// (Linux has no IPv6 loopback range beyond ::1).
type loopbackMapper struct {
	pods     netip.Prefix
	loopback netip.Prefix
	// v6 is the IPv6 pod prefix; invalid when pods have no IPv6 address.
	v6 netip.Prefix
}

var loopbackBlock = netip.MustParsePrefix("127.0.0.0/8")

func newLoopbackMapper(pods, loopback netip.Prefix) (loopbackMapper, error) {
	switch {
	case !pods.Addr().Is4() || !loopback.Addr().Is4():
		return loopbackMapper{}, fmt.Errorf("pod CIDR %s and loopback CIDR %s must both be IPv4", pods, loopback)
	case pods.Bits() != loopback.Bits():
		return loopbackMapper{}, fmt.Errorf("pod CIDR %s and loopback CIDR %s must have the same length", pods, loopback)
	case !loopbackBlock.Contains(loopback.Addr()) || loopback.Bits() < loopbackBlock.Bits():
		return loopbackMapper{}, fmt.Errorf("loopback CIDR %s is not inside %s", loopback, loopbackBlock)
	}
	return loopbackMapper{pods: pods.Masked(), loopback: loopback.Masked()}, nil
}

// withIPv6 returns m with the IPv6 pod prefix v6, which must leave as many
// host bits as the IPv4 pod CIDR.
func (m loopbackMapper) withIPv6(v6 netip.Prefix) (loopbackMapper, error) {
	if !v6.Addr().Is6() || v6.Addr().Is4In6() || 128-v6.Bits() != 32-m.pods.Bits() {
		return m, fmt.Errorf("IPv6 pod CIDR %s must be an IPv6 prefix with as many host bits as pod CIDR %s (/%d)", v6, m.pods, 96+m.pods.Bits())
	}
	m.v6 = v6.Masked()
	return m, nil
}

// slot returns the IPv4 pod address that stands for ip: ip itself in the
// IPv4 pod CIDR, the address with the same host bits for an IPv6 pod
// address, and the invalid Addr otherwise.
func (m loopbackMapper) slot(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	switch {
	case m.pods.Contains(ip):
		return ip
	case m.v6.IsValid() && m.v6.Contains(ip):
		a := ip.As16()
		host := netip.AddrFrom4([4]byte{a[12], a[13], a[14], a[15]})
		return replaceNetwork(host, m.pods)
	}
	return netip.Addr{}
}

// ipv6 is the IPv6 address of the pod whose IPv4 slot is ip.
func (m loopbackMapper) ipv6(ip netip.Addr) netip.Addr {
	a := m.v6.Addr().As16()
	host := ip.As4()
	bits := 32 - m.pods.Bits()
	for i := 3; i >= 0 && bits > 0; i-- {
		mask := byte(0xff)
		if bits < 8 {
			mask = byte(0xff) >> (8 - bits)
		}
		a[12+i] = a[12+i]&^mask | host[i]&mask
		bits -= 8
	}
	return netip.AddrFrom16(a)
}

// toLoopback keeps the host bits of ip and swaps its network bits for the
// loopback prefix. An address outside the pod CIDR is returned unchanged when
// it is already loopback, and as the invalid Addr otherwise, so a caller can
// never end up dialing a non-loopback address by mistake.
func (m loopbackMapper) toLoopback(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if s := m.slot(ip); s.IsValid() {
		ip = s
	}
	if !m.pods.Contains(ip) {
		if loopbackBlock.Contains(ip) {
			return ip
		}
		return netip.Addr{}
	}
	return replaceNetwork(ip, m.loopback)
}

// replaceNetwork returns ip with the leading prefix.Bits() bits taken from
// prefix.
func replaceNetwork(ip netip.Addr, prefix netip.Prefix) netip.Addr {
	a := ip.As4()
	n := prefix.Addr().As4()
	host := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	network := uint32(n[0])<<24 | uint32(n[1])<<16 | uint32(n[2])<<8 | uint32(n[3])
	mask := ^uint32(0) << (32 - prefix.Bits())
	if prefix.Bits() == 0 {
		mask = 0
	}
	v := network&mask | host&^mask
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
