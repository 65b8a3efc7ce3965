// Package dial is the emulator's only way out to the network. It enforces the
// project's network rule: map pod addresses onto loopback first (e.g.
// 10.244.0.0/16 -> 127.244.0.0/16), then refuse anything that is still not a
// loopback address, so no test ever reaches a real host.
package dial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Mapping rewrites addresses in From onto the same offsets in To. Both
// prefixes must have as many host bits; the families may differ, so that an
// IPv6 pod prefix such as fd00:10:244::/112 can map onto an IPv4 loopback
// range such as 127.244.0.0/16: Linux answers all of 127.0.0.0/8 on lo, but
// of IPv6 only ::1.
type Mapping struct {
	From, To netip.Prefix
}

// ErrNotLoopback is returned for a destination that is not loopback after
// mapping; the emulator never dials it.
var ErrNotLoopback = errors.New("destination is not a loopback address")

// Dialer maps and dials.
type Dialer struct {
	mappings []Mapping
	timeout  time.Duration
}

// New validates the mappings. timeout bounds connection establishment.
func New(mappings []Mapping, timeout time.Duration) (*Dialer, error) {
	for _, m := range mappings {
		if !m.From.IsValid() || !m.To.IsValid() {
			return nil, fmt.Errorf("dial mapping %s=%s: both prefixes must be valid", m.From, m.To)
		}
		if hostBits(m.From) != hostBits(m.To) {
			return nil, fmt.Errorf("dial mapping %s=%s: prefixes must have as many host bits (%d and %d)", m.From, m.To, hostBits(m.From), hostBits(m.To))
		}
	}
	return &Dialer{mappings: append([]Mapping(nil), mappings...), timeout: timeout}, nil
}

// Map returns the address that will actually be dialed for addr.
func (d *Dialer) Map(addr netip.Addr) netip.Addr {
	addr = addr.Unmap()
	for _, m := range d.mappings {
		if m.From.Contains(addr) {
			return rebase(addr, m.From, m.To)
		}
	}
	return addr
}

// Resolve maps ip:port and refuses non-loopback results.
func (d *Dialer) Resolve(ap netip.AddrPort) (netip.AddrPort, error) {
	mapped := netip.AddrPortFrom(d.Map(ap.Addr()), ap.Port())
	if !mapped.Addr().IsLoopback() {
		return netip.AddrPort{}, fmt.Errorf("dialing %s (mapped from %s): %w", mapped, ap, ErrNotLoopback)
	}
	return mapped, nil
}

// DialContext connects over TCP to ap after mapping it.
func (d *Dialer) DialContext(ctx context.Context, ap netip.AddrPort) (net.Conn, error) {
	mapped, err := d.Resolve(ap)
	if err != nil {
		return nil, err
	}
	nd := net.Dialer{Timeout: d.timeout}
	conn, err := nd.DialContext(ctx, "tcp", mapped.String())
	if err != nil {
		return nil, fmt.Errorf("dialing %s (mapped from %s): %w", mapped, ap, err)
	}
	return conn, nil
}

// hostBits is how many bits of an address p leaves to the host.
func hostBits(p netip.Prefix) int { return p.Addr().BitLen() - p.Bits() }

// rebase keeps addr's host bits and replaces its network bits with to's;
// from and to have as many host bits, not necessarily the same family.
func rebase(addr netip.Addr, from, to netip.Prefix) netip.Addr {
	src := addr.AsSlice()
	dst := to.Masked().Addr().AsSlice()
	// Copy the last n bits of src into the last n bits of dst, byte by
	// byte from the end.
	n := hostBits(from)
	for i, j := len(src)-1, len(dst)-1; n > 0; i, j = i-1, j-1 {
		mask := byte(0xff)
		if n < 8 {
			mask = byte(0xff) >> (8 - n)
		}
		dst[j] = dst[j]&^mask | src[i]&mask
		n -= 8
	}
	out, _ := netip.AddrFromSlice(dst)
	return out
}
