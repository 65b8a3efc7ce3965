package emulator

import (
	"net/netip"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dataplane"
)

var timeZero time.Time

// picker routes a listener's new requests within one target group: round
// robin over healthy targets; when none is healthy, fail open to the
// unhealthy ones, as ALB and NLB do
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
// Draining, unused and initial targets never get new traffic, except a
// target deregistered less than Profile.DeregistrationPropagation ago, which
// the load balancer nodes still route by its health before deregistration.
func (e *Emulator) picker(tgARN string) dataplane.Picker {
	return dataplane.PickerFunc(func() (dataplane.Backend, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		g, ok := e.groups[tgARN]
		if !ok {
			return dataplane.Backend{}, false
		}
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
			return dataplane.Backend{}, false
		}
		t := candidates[g.rr%uint64(len(candidates))]
		g.rr++
		if t.gone == nil {
			t.gone = make(chan struct{})
		}
		return dataplane.Backend{
			Key:  t.key.String(),
			Addr: netip.AddrPortFrom(t.addr, uint16(t.key.port)),
			Gone: t.gone,
		}, true
	})
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
