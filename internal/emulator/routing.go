package emulator

import (
	"net/netip"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dataplane"
)

var timeZero time.Time

// picker routes a listener's new requests: its forward action picks a
// target group by weight (forward.next), then the group picks a target.
// A group with weight 0 gets no new request; requests in flight keep their
// target whatever the weights become, since ModifyListener only changes
// what the next pick reads.
func (e *Emulator) picker(listenerARN string) dataplane.Picker {
	return dataplane.PickerFunc(func() (dataplane.Backend, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		l, ok := e.listeners[listenerARN]
		if !ok {
			return dataplane.Backend{}, false
		}
		arn, ok := l.forward.next()
		if !ok {
			return dataplane.Backend{}, false
		}
		b := dataplane.Backend{Group: arn}
		g, ok := e.groups[arn]
		if !ok {
			return b, false
		}
		t, ok := e.pickTarget(g)
		if !ok {
			return b, false
		}
		if t.gone == nil {
			t.gone = make(chan struct{})
		}
		b.Key = t.key.String()
		b.Addr = netip.AddrPortFrom(t.addr, uint16(t.key.port))
		b.Gone = t.gone
		return b, true
	})
}

// pickTarget chooses within one group: round robin over healthy targets;
// when none is healthy, fail open to the unhealthy ones, as ALB and NLB do
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
// Draining, unused and initial targets never get new traffic, except a
// target deregistered less than Profile.DeregistrationPropagation ago, which
// the load balancer nodes still route by its health before deregistration.
// Callers hold e.mu.
func (e *Emulator) pickTarget(g *targetGroup) (*target, bool) {
	now := e.now()
	in := e.healthInputs(g, now)
	var healthy, unhealthy []*target
	for _, t := range g.order {
		if !t.addr.IsValid() {
			continue
		}
		if _, ok := present(g, t.key, now); !ok {
			continue
		}
		switch h := routingHealth(t, in); {
		case routable(h):
			healthy = append(healthy, t)
		case h.State == stateUnhealthy:
			unhealthy = append(unhealthy, t)
		}
	}
	candidates := healthy
	if len(candidates) == 0 {
		candidates = unhealthy
	}
	if len(candidates) == 0 {
		return nil, false
	}
	t := candidates[g.rr%uint64(len(candidates))]
	g.rr++
	return t, true
}

// routingHealth is the health the load balancer nodes route t by: its
// reported health, or, within the deregistration propagation window, the
// health it had when it was deregistered, since the nodes have not heard of
// the deregistration yet.
func routingHealth(t *target, in healthInputs) health {
	if t.draining() && in.now.Before(t.routeUntil) {
		return health{State: t.routedAs}
	}
	return targetHealth(t, in)
}
