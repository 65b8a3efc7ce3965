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
// prefixes must have the same length and address family.
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
		if m.From.Bits() != m.To.Bits() || m.From.Addr().Is4() != m.To.Addr().Is4() {
			return nil, fmt.Errorf("dial mapping %s=%s: prefixes must have the same family and length", m.From, m.To)
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

// rebase keeps addr's host bits and replaces its network bits with to's.
func rebase(addr netip.Addr, from, to netip.Prefix) netip.Addr {
	src := addr.AsSlice()
	dst := to.Masked().Addr().AsSlice()
	bits := from.Bits()
	for i := range src {
		// Bits of byte i that belong to the network part.
		netBits := min(max(bits-8*i, 0), 8)
		mask := byte(0xff << (8 - netBits))
		if netBits == 0 {
			mask = 0
		}
		src[i] = dst[i]&mask | src[i]&^mask
	}
	out, _ := netip.AddrFromSlice(src)
	return out
}
