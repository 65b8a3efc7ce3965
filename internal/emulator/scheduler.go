package emulator

import (
	"container/heap"
	"context"
	"net/netip"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/probe"
)

// One scheduler serves every target: a min-heap of timed events instead of a
// goroutine and timer per target, so 50,000 targets cost heap entries only.

type eventKind int

const (
	eventProbe    eventKind = iota // run a real health check
	eventDrainEnd                  // the deregistration delay is over
)

type event struct {
	at    time.Time
	kind  eventKind
	group *targetGroup
	t     *target
	gen   uint64
}

type eventHeap []event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	ev := old[n-1]
	old[n-1] = event{}
	*h = old[:n-1]
	return ev
}

// schedule queues an event. Callers hold e.mu.
func (e *Emulator) schedule(ev event) {
	heap.Push(&e.events, ev)
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// restartHealth begins t's health history again (new registration, or the
// group started or stopped receiving traffic). Callers hold e.mu.
func (e *Emulator) restartHealth(g *targetGroup, t *target) {
	t.gen++
	t.probe = probeRecord{}
	t.checksStart = healthChecksStart(t, e.healthInputs(g, e.clock.Now()))
	e.scheduleProbe(g, t, t.checksStart)
}

// rescheduleProbe re-queues t's next probe after a settings change without
// forgetting its health. Callers hold e.mu.
func (e *Emulator) rescheduleProbe(g *targetGroup, t *target) {
	t.gen++
	t.probe.inFlight = false
	at := t.checksStart
	if now := e.clock.Now(); at.Before(now) {
		at = now
	}
	e.scheduleProbe(g, t, at)
}

func (e *Emulator) scheduleProbe(g *targetGroup, t *target, at time.Time) {
	if !e.probes(g, t) {
		return
	}
	e.schedule(event{at: at, kind: eventProbe, group: g, t: t, gen: t.gen})
}

// probes reports whether t is health-checked over the network right now.
func (e *Emulator) probes(g *targetGroup, t *target) bool {
	return e.mode == HealthChecksReal && t.addr.IsValid() && g.hc.enabled &&
		!g.inUseSince.IsZero() && !t.draining() && e.groups[g.arn] == g && g.targets[t.key] == t
}

// run is the scheduler loop; it stops when e.stop closes.
func (e *Emulator) run() {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		wait := time.Hour
		if len(e.events) > 0 {
			wait = e.events[0].at.Sub(e.clock.Now())
		}
		e.mu.Unlock()
		if wait > 0 {
			timer := e.clock.NewTimer(wait)
			select {
			case <-e.stop:
				timer.Stop()
				return
			case <-e.wake:
				timer.Stop()
				continue
			case <-timer.C():
			}
		}
		e.runDue()
	}
}

// runDue handles every event that is due.
func (e *Emulator) runDue() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for len(e.events) > 0 && !e.events[0].at.After(now) {
		ev := heap.Pop(&e.events).(event)
		if ev.t.gen != ev.gen {
			continue // superseded
		}
		switch ev.kind {
		case eventDrainEnd:
			e.removeTarget(ev.group, ev.t)
		case eventProbe:
			e.startProbe(ev.group, ev.t, now)
		}
	}
}

// removeTarget ends t's drain: it leaves the group and in-flight traffic to
// it is cut. Callers hold e.mu.
func (e *Emulator) removeTarget(g *targetGroup, t *target) {
	if g.targets[t.key] != t {
		return
	}
	delete(g.targets, t.key)
	g.removeFromOrder(t)
	t.gen++
	if t.gone != nil {
		close(t.gone)
	}
}

// startProbe launches one health check in the background. Callers hold e.mu.
func (e *Emulator) startProbe(g *targetGroup, t *target, now time.Time) {
	if !e.probes(g, t) || t.probe.inFlight {
		return
	}
	t.probe.inFlight = true
	spec := probe.Spec{
		Protocol: g.hc.protocol,
		Path:     g.hc.path,
		Matcher:  g.hc.matcher,
		Timeout:  e.profile.timeout(g.hc.timeout),
	}
	addr := netip.AddrPortFrom(t.addr, uint16(g.healthCheckPort(t)))
	gen := t.gen
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		select {
		case e.probeSlots <- struct{}{}:
		case <-e.stop:
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopOnClose := context.AfterFunc(e.stopCtx, cancel)
		res := e.prober.Probe(ctx, spec, addr)
		stopOnClose()
		cancel()
		<-e.probeSlots
		e.mu.Lock()
		defer e.mu.Unlock()
		if t.gen != gen {
			return
		}
		t.probe.inFlight = false
		applyProbe(&t.probe, res, g.hc)
		e.scheduleProbe(g, t, now.Add(e.profile.interval(g.hc.interval)))
	}()
}

// applyProbe folds one result into the record: healthyThreshold consecutive
// passes make a target healthy, unhealthyThreshold consecutive failures make
// it unhealthy, from initial as well as from the other state.
func applyProbe(r *probeRecord, res probe.Result, hc healthCheck) {
	if res.Healthy {
		r.okRun++
		r.failRun = 0
		if r.status != stateHealthy && r.okRun >= hc.healthy {
			r.status, r.reason, r.description = stateHealthy, "", ""
		}
		return
	}
	r.failRun++
	r.okRun = 0
	if r.status == stateUnhealthy || r.failRun >= hc.unhealthy {
		r.status, r.reason, r.description = stateUnhealthy, res.Reason, res.Description
	}
}
