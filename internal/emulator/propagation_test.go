package emulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestDeregisteredTargetReceivesNewRequestsOnlyWithinThePropagationWindow(t *testing.T) {
	const propagation = time.Second
	h := start(t, withPodDialMap)
	p := FastProfile()
	p.DeregistrationPropagation = propagation
	// The drain outlasts the window, so that the end of routing is seen
	// while the target still exists, not because it left the group.
	p.MaxDeregistrationDelay = 4 * time.Second
	h.emu.SetProfile(p)
	leaving, staying := newBackend(t, "127.244.5.1"), newBackend(t, "127.244.5.2")
	tg := h.group()
	addr := h.attach(tg)
	h.register(tg, leaving.target(), staying.target())
	h.waitState(tg, leaving.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	h.waitState(tg, staying.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)

	sent := time.Now()
	h.deregister(tg, leaving.target())
	if th := h.health(tg)[leaving.key()]; th.State != types.TargetHealthStateEnumDraining || th.Reason != types.TargetHealthReasonEnumDeregistrationInProgress {
		t.Fatalf("right after DeregisterTargets the target reads %s/%s, want draining/Target.DeregistrationInProgress", th.State, th.Reason)
	}
	for range 6 {
		if status, _ := get(t, addr, "/work"); status != http.StatusOK {
			t.Fatalf("request within the window answered %d, want 200", status)
		}
	}
	if elapsed := time.Since(sent); elapsed >= propagation {
		t.Skipf("the 6 requests took %s, longer than the %s window: the machine is too slow to tell", elapsed, propagation)
	}
	if leaving.hits.Load() != 3 || staying.hits.Load() != 3 {
		t.Fatalf("within the window hits leaving/staying = %d/%d, want 3/3 (still round robin)", leaving.hits.Load(), staying.hits.Load())
	}

	time.Sleep(time.Until(sent.Add(propagation + 100*time.Millisecond)))
	if th := h.health(tg)[leaving.key()]; th.State != types.TargetHealthStateEnumDraining {
		t.Fatalf("after the window the target reads %s, want still draining", th.State)
	}
	leaving.hits.Store(0)
	staying.hits.Store(0)
	for range 6 {
		get(t, addr, "/work")
	}
	if leaving.hits.Load() != 0 || staying.hits.Load() != 6 {
		t.Fatalf("after the window hits leaving/staying = %d/%d, want 0/6", leaving.hits.Load(), staying.hits.Load())
	}
}

func TestDrainLastsAtLeastThePropagationWindow(t *testing.T) {
	const propagation = 500 * time.Millisecond
	h := start(t, withPodDialMap)
	p := FastProfile()
	p.DeregistrationPropagation = propagation
	h.emu.SetProfile(p)
	b := newBackend(t, "127.244.5.3")
	tg := h.group()
	// A zero deregistration delay would remove the target at once; the load
	// balancer nodes still send to it until the change has propagated.
	h.setDeregistrationDelay(tg, 0)
	addr := h.attach(tg)
	h.register(tg, b.target())
	h.waitState(tg, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	sent := time.Now()
	h.deregister(tg, b.target())
	if status, _ := get(t, addr, "/work"); status != http.StatusOK || b.hits.Load() != 1 {
		t.Fatalf("within the window: status %d, hits %d; want 200 from the deregistered target", status, b.hits.Load())
	}
	if th := h.health(tg)[b.key()]; th.State != types.TargetHealthStateEnumDraining && time.Since(sent) < propagation {
		t.Fatalf("within the window the target reads %s, want draining", th.State)
	}
	time.Sleep(time.Until(sent.Add(propagation + 200*time.Millisecond)))
	if th, ok := h.health(tg)[b.key()]; ok {
		t.Fatalf("after the window the target is still listed as %s, want gone", th.State)
	}
	if status, _ := get(t, addr, "/work"); status != http.StatusServiceUnavailable {
		t.Fatalf("after the window the listener answered %d, want 503 (no target)", status)
	}
}

func TestRegisteringADeregisteredTargetAgainEndsItsPropagationWindow(t *testing.T) {
	h := start(t, withPodDialMap)
	p := FastProfile()
	p.DeregistrationPropagation = time.Hour
	p.MaxDeregistrationDelay = time.Hour
	h.emu.SetProfile(p)
	back, other := newBackend(t, "127.244.5.4"), newBackend(t, "127.244.5.5")
	tg := h.group()
	addr := h.attach(tg)
	h.register(tg, back.target(), other.target())
	h.waitState(tg, back.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	h.waitState(tg, other.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	h.deregister(tg, back.target())
	// From now on registration takes an hour: the target registered again
	// stays initial, and initial targets get no traffic.
	p.RegistrationDelay = time.Hour
	h.emu.SetProfile(p)
	h.register(tg, back.target())
	if th := h.health(tg)[back.key()]; th.State != types.TargetHealthStateEnumInitial {
		t.Fatalf("registered again: %s, want initial", th.State)
	}
	back.hits.Store(0)
	for range 4 {
		get(t, addr, "/work")
	}
	if back.hits.Load() != 0 || other.hits.Load() != 4 {
		t.Fatalf("hits re-registered/other = %d/%d, want 0/4: a new registration routes by its own health", back.hits.Load(), other.hits.Load())
	}
}

func TestRoutingHealthWithinAndAfterThePropagationWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := healthInputs{now: t0, inUseSince: t0.Add(-time.Hour), hc: healthCheck{enabled: true, healthy: 3, unhealthy: 2}}
	cases := map[string]struct {
		t    *target
		want string
	}{
		"healthy target deregistered a moment ago is still routed as healthy": {
			&target{drainUntil: t0.Add(time.Minute), routeUntil: t0.Add(time.Second), routedAs: stateHealthy}, stateHealthy,
		},
		"unhealthy target deregistered a moment ago still takes fail-open traffic": {
			&target{drainUntil: t0.Add(time.Minute), routeUntil: t0.Add(time.Second), routedAs: stateUnhealthy}, stateUnhealthy,
		},
		"initial target deregistered a moment ago gets nothing": {
			&target{drainUntil: t0.Add(time.Minute), routeUntil: t0.Add(time.Second), routedAs: stateInitial}, stateInitial,
		},
		"window over: draining, not routed": {
			&target{drainUntil: t0.Add(time.Minute), routeUntil: t0, routedAs: stateHealthy}, stateDraining,
		},
		"no window: draining at once": {
			&target{drainUntil: t0.Add(time.Minute)}, stateDraining,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := routingHealth(tc.t, in).State; got != tc.want {
				t.Fatalf("routingHealth = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDeregistrationDelayNeverEndsBeforeThePropagationWindow(t *testing.T) {
	cases := map[string]struct {
		p     Profile
		group time.Duration
		want  time.Duration
	}{
		"group attribute as is":                  {Profile{}, 2 * time.Second, 2 * time.Second},
		"cap applies to the 300 s default":       {Profile{MaxDeregistrationDelay: time.Second}, 300 * time.Second, time.Second},
		"override wins over the attribute":       {Profile{DeregistrationDelay: 3 * time.Second}, 300 * time.Second, 3 * time.Second},
		"zero delay still drains for the window": {Profile{DeregistrationPropagation: time.Second}, 0, time.Second},
		"window shorter than the delay changes nothing": {
			Profile{DeregistrationPropagation: time.Second}, 2 * time.Second, 2 * time.Second,
		},
		"window outlasts a capped delay": {
			Profile{MaxDeregistrationDelay: time.Second, DeregistrationPropagation: 2 * time.Second}, 300 * time.Second, 2 * time.Second,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.deregistrationDelay(tc.group); got != tc.want {
				t.Fatalf("deregistrationDelay(%s) = %s, want %s", tc.group, got, tc.want)
			}
		})
	}
}
