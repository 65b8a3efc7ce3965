package kubelet

import (
	"errors"
	"fmt"
	"net/netip"
)

// ipAllocator hands out pod IPs from a prefix. An address stays taken until
// released, and the kubelet releases it only once the pod holding it is gone
// from the API server, so two live pods never share an IP. It is not safe for
// concurrent use; the kubelet guards it with its own lock.
type ipAllocator struct {
	prefix   netip.Prefix
	claim    claimFunc
	inUse    map[netip.Addr]string // ip -> owner (pod UID)
	releases map[netip.Addr]func()
	next     netip.Addr
}

// claimFunc takes an IP machine-wide (see fileClaims) and returns how to
// give it back; it fails with errClaimed when another kubelet holds it.
type claimFunc func(netip.Addr) (release func(), err error)

// noClaims is the claimFunc of an allocator that is alone on the machine.
func noClaims(netip.Addr) (func(), error) { return func() {}, nil }

func newIPAllocator(prefix netip.Prefix, claim claimFunc) *ipAllocator {
	prefix = prefix.Masked()
	return &ipAllocator{prefix: prefix, claim: claim, inUse: map[netip.Addr]string{}, releases: map[netip.Addr]func(){}, next: prefix.Addr()}
}

// usable reports whether ip may be handed to a pod: inside the prefix, and
// neither the network address, nor the first host (kept for a gateway, as
// most CNI plugins do), nor the broadcast address.
func (a *ipAllocator) usable(ip netip.Addr) bool {
	if !a.prefix.Contains(ip) || ip == a.prefix.Addr() || ip == a.prefix.Addr().Next() {
		return false
	}
	return a.prefix.Contains(ip.Next())
}

// Allocate returns a free IP for owner. It walks round-robin from the last
// allocation so a just-released IP is not reused at once, which keeps stale
// targets in a load balancer from pointing at a new pod.
func (a *ipAllocator) Allocate(owner string) (netip.Addr, error) {
	for ip, o := range a.inUse {
		if o == owner {
			return ip, nil
		}
	}
	ip := a.next
	for range a.size() {
		ip = ip.Next()
		if !a.prefix.Contains(ip) {
			ip = a.prefix.Addr()
		}
		if _, taken := a.inUse[ip]; taken || !a.usable(ip) {
			continue
		}
		release, err := a.claim(ip)
		if errors.Is(err, errClaimed) {
			continue
		}
		if err != nil {
			return netip.Addr{}, err
		}
		a.inUse[ip], a.releases[ip] = owner, release
		a.next = ip
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s is exhausted (%d IPs in use)", a.prefix, len(a.inUse))
}

// Reserve marks ip as held by owner, for a pod that already has an IP (a
// kubelet restarted while its pods lived on).
func (a *ipAllocator) Reserve(ip netip.Addr, owner string) error {
	if !a.usable(ip) {
		return fmt.Errorf("IP %s is not usable in pod CIDR %s", ip, a.prefix)
	}
	if o, taken := a.inUse[ip]; taken {
		if o != owner {
			return fmt.Errorf("IP %s is already held by pod %s", ip, o)
		}
		return nil
	}
	release, err := a.claim(ip)
	if err != nil {
		return fmt.Errorf("keeping IP %s: %w", ip, err)
	}
	a.inUse[ip], a.releases[ip] = owner, release
	return nil
}

// Release frees ip if owner holds it.
func (a *ipAllocator) Release(ip netip.Addr, owner string) {
	if o, taken := a.inUse[ip]; taken && o == owner {
		a.releases[ip]()
		delete(a.inUse, ip)
		delete(a.releases, ip)
	}
}

// ReleaseAll gives back every IP, when the kubelet stops.
func (a *ipAllocator) ReleaseAll() {
	for ip, owner := range a.inUse {
		a.Release(ip, owner)
	}
}

func (a *ipAllocator) size() int {
	hostBits := a.prefix.Addr().BitLen() - a.prefix.Bits()
	if hostBits >= 31 {
		return 1 << 31
	}
	return 1 << hostBits
}
