package kubelet

import (
	"fmt"
	"net/netip"
)

// loopbackMapper maps a pod IP onto the loopback address its servers listen
// on. Tests may only dial loopback addresses (127.0.0.0/8), while the API
// server rejects loopback addresses in EndpointSlices, so a pod has both.
type loopbackMapper struct {
	pods     netip.Prefix
	loopback netip.Prefix
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

// toLoopback keeps the host bits of ip and swaps its network bits for the
// loopback prefix. An address outside the pod CIDR is returned unchanged when
// it is already loopback, and as the invalid Addr otherwise, so a caller can
// never end up dialing a non-loopback address by mistake.
func (m loopbackMapper) toLoopback(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
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
