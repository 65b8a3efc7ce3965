package emulator

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/addrpool"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Each load balancer has a loopback address of its own
// (Config.LoadBalancerAddresses), where every listener of it binds, as in
// AWS, where each load balancer has addresses of its own and two of them
// can both listen on port 80. Its DNSName keeps AWS's shape and resolves
// nowhere; Resolve, GET /_emulator/hosts and the log line of each new load
// balancer map it onto the address, for /etc/hosts or curl --resolve.

// takeAddress claims an address for a new load balancer. Running out is
// AWS's TooManyLoadBalancers, since it is the emulator's quota of load
// balancers (AWS's default is 50 application load balancers per Region).
func (e *Emulator) takeAddress() (netip.Addr, func(), *query.Error) {
	a, release, err := e.addrs.Take()
	if errors.Is(err, addrpool.ErrExhausted) {
		return netip.Addr{}, nil, query.SenderError("TooManyLoadBalancers",
			fmt.Sprintf("The emulator has no free address for another load balancer in %s", e.addrs.Prefix()))
	}
	if err != nil {
		return netip.Addr{}, nil, errInternal(err)
	}
	return a, release, nil
}

// releaseAddresses gives back the addresses of lbs, after they are gone
// from the state.
func releaseAddresses(lbs []*loadBalancer) {
	for _, lb := range lbs {
		if lb.release != nil {
			lb.release()
		}
	}
}

// Resolve returns the address of the load balancer whose DNSName is host,
// as AWS's DNS would.
func (e *Emulator) Resolve(host string) (netip.Addr, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, lb := range e.lbs {
		if lb.dnsName == host {
			return lb.addr, true
		}
	}
	return netip.Addr{}, false
}

// Hosts renders one /etc/hosts line per load balancer, "ADDRESS DNSNAME",
// sorted by DNS name.
func (e *Emulator) Hosts() string {
	e.mu.RLock()
	lines := make([]string, 0, len(e.lbs))
	for _, lb := range e.lbs {
		lines = append(lines, hostsLine(lb))
	}
	e.mu.RUnlock()
	slices.SortFunc(lines, func(a, b string) int {
		_, x, _ := strings.Cut(a, " ")
		_, y, _ := strings.Cut(b, " ")
		return strings.Compare(x, y)
	})
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func hostsLine(lb *loadBalancer) string { return lb.addr.String() + " " + lb.dnsName }
