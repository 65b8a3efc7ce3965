package scenario

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
)

// write is one EndpointSlice write as the driver made it: the evidence
// every latency starts from.
type write struct {
	// At is the driver's clock just before it sent the request; AtS is the
	// same in seconds since the scenario's time zero.
	At  time.Time `json:"at"`
	AtS float64   `json:"atS"`
	// AckMs is how long the API server took to answer the write.
	AckMs float64 `json:"ackMs"`
	Slice string  `json:"slice"`
	Group string  `json:"group"`
	// Ready are the targets whose endpoint turned ready; NotReady those
	// that stopped being ready (not ready, or terminating).
	Ready    []string `json:"ready,omitempty"`
	NotReady []string `json:"notReady,omitempty"`
	// Added and Removed are endpoints added (not ready) or removed.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// writer makes EndpointSlice writes and logs them.
type writer struct {
	e    *env
	zero time.Time
	// podOf, when set, names the Pod behind a new endpoint's address: the
	// endpoint add writes then carries it as its targetRef, as the peer
	// needs.
	podOf func(ip string) string

	mu     sync.Mutex
	writes []write
}

func newWriter(e *env, zero time.Time) *writer { return &writer{e: e, zero: zero} }

// log returns the writes so far.
func (w *writer) log() []write {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.writes)
}

// changesOf lists the endpoint transitions of the writes made at or after
// since.
func changesOf(writes []write, since time.Time) []measure.Change {
	var out []measure.Change
	for _, wr := range writes {
		if wr.At.Before(since) {
			continue
		}
		for _, t := range wr.Ready {
			out = append(out, measure.Change{At: wr.At, Group: wr.Group, Target: t, Dir: measure.Up})
		}
		for _, t := range wr.NotReady {
			out = append(out, measure.Change{At: wr.At, Group: wr.Group, Target: t, Dir: measure.Down})
		}
	}
	return out
}

// endpointState is what an endpoint's conditions say.
type endpointState int

const (
	stateReady endpointState = iota
	stateNotReady
	// stateTerminating is a pod being deleted that still serves:
	// ready=false, serving=true, terminating=true (KEP-1672).
	stateTerminating
)

func setConditions(ep *discoveryv1.Endpoint, st endpointState) {
	switch st {
	case stateReady:
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)}
	case stateNotReady:
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(false), Terminating: ptr.To(false)}
	case stateTerminating:
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(true), Terminating: ptr.To(true)}
	}
}

// update writes the service's slice i after mutate changed a copy of it,
// and logs the write with what it changed.
func (w *writer) update(ctx context.Context, s *service, i int, rec write, mutate func(*discoveryv1.EndpointSlice)) error {
	sl := s.slices[i].DeepCopy()
	mutate(sl)
	rec.Slice, rec.Group = sl.Name, s.group
	rec.At = time.Now()
	if err := w.e.kube.Update(ctx, sl); err != nil {
		return fmt.Errorf("writing EndpointSlice %s: %w", sl.Name, err)
	}
	rec.AckMs = float64(time.Since(rec.At).Microseconds()) / 1000
	rec.AtS = rec.At.Sub(w.zero).Seconds()
	s.slices[i] = sl
	w.mu.Lock()
	w.writes = append(w.writes, rec)
	w.mu.Unlock()
	return nil
}

// setState writes the given endpoints' conditions, one write per slice
// they live in. Only endpoints whose readiness changes are logged as
// changes.
func (w *writer) setState(ctx context.Context, s *service, ips []string, st endpointState) error {
	bySlice := map[int][]endpointRef{}
	for _, ep := range s.ips() {
		if slices.Contains(ips, ep.ip) {
			bySlice[ep.slice] = append(bySlice[ep.slice], ep)
		}
	}
	for _, i := range sortedKeys(bySlice) {
		var rec write
		for _, ep := range bySlice[i] {
			switch {
			case st == stateReady && !ep.ready:
				rec.Ready = append(rec.Ready, targetID(ep.ip))
			case st != stateReady && ep.ready:
				rec.NotReady = append(rec.NotReady, targetID(ep.ip))
			}
		}
		err := w.update(ctx, s, i, rec, func(sl *discoveryv1.EndpointSlice) {
			for _, ep := range bySlice[i] {
				setConditions(&sl.Endpoints[ep.pos], st)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// add puts new, not yet ready endpoints into the service's slices with
// room, or a new slice, as the EndpointSlice controller packs them.
func (w *writer) add(ctx context.Context, s *service, ips []string, maxPerSlice int) error {
	for len(ips) > 0 {
		i := slices.IndexFunc(s.slices, func(sl *discoveryv1.EndpointSlice) bool { return len(sl.Endpoints) < maxPerSlice })
		if i < 0 {
			sl := s.newSlice(nil)
			if err := w.e.kube.Create(ctx, sl); err != nil {
				return fmt.Errorf("creating EndpointSlice %s: %w", sl.Name, err)
			}
			s.slices = append(s.slices, sl)
			continue
		}
		n := min(maxPerSlice-len(s.slices[i].Endpoints), len(ips))
		batch := ips[:n]
		rec := write{}
		for _, ip := range batch {
			rec.Added = append(rec.Added, targetID(ip))
		}
		err := w.update(ctx, s, i, rec, func(sl *discoveryv1.EndpointSlice) {
			for _, ip := range batch {
				ep := discoveryv1.Endpoint{Addresses: []string{ip}}
				if w.podOf != nil {
					ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: w.podOf(ip)}
				}
				setConditions(&ep, stateNotReady)
				sl.Endpoints = append(sl.Endpoints, ep)
			}
		})
		if err != nil {
			return err
		}
		ips = ips[n:]
	}
	return nil
}

// remove deletes endpoints from the service's slices, one write per slice.
func (w *writer) remove(ctx context.Context, s *service, ips []string) error {
	bySlice := map[int][]endpointRef{}
	for _, ep := range s.ips() {
		if slices.Contains(ips, ep.ip) {
			bySlice[ep.slice] = append(bySlice[ep.slice], ep)
		}
	}
	for _, i := range sortedKeys(bySlice) {
		var rec write
		gone := map[string]bool{}
		for _, ep := range bySlice[i] {
			rec.Removed = append(rec.Removed, targetID(ep.ip))
			if ep.ready {
				rec.NotReady = append(rec.NotReady, targetID(ep.ip))
			}
			gone[ep.ip] = true
		}
		err := w.update(ctx, s, i, rec, func(sl *discoveryv1.EndpointSlice) {
			sl.Endpoints = slices.DeleteFunc(sl.Endpoints, func(ep discoveryv1.Endpoint) bool { return gone[ep.Addresses[0]] })
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
