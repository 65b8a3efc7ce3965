package rollout

import (
	"slices"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// The recorder only samples; these pure functions turn its samples into
// the lanes and bins the page draws, so that they can be tested on made-up
// samples.

// targetSample is the target group as the emulator held it at one moment.
type targetSample struct {
	At     time.Time
	States []emulator.TargetState
}

// targetLanes turns samples (oldest first) into one lane per target, in
// the order the targets first appeared: a new span at every change of
// state, and a span that ends Gone when the target left the group.
func targetLanes(samples []targetSample, end time.Time) []TargetLane {
	var lanes []TargetLane
	index := map[string]int{}
	open := map[string]bool{}
	for _, s := range samples {
		seen := map[string]bool{}
		for _, st := range s.States {
			seen[st.Target] = true
			i, ok := index[st.Target]
			if !ok {
				i = len(lanes)
				index[st.Target] = i
				lanes = append(lanes, TargetLane{Target: st.Target})
			}
			l := &lanes[i]
			if open[st.Target] {
				last := &l.Spans[len(l.Spans)-1]
				if last.State == st.State && last.Reason == st.Reason {
					continue
				}
				last.To = s.At
			}
			l.Spans = append(l.Spans, Span{State: st.State, Reason: st.Reason, From: s.At})
			open[st.Target] = true
		}
		for target := range open {
			if !seen[target] {
				l := &lanes[index[target]]
				last := &l.Spans[len(l.Spans)-1]
				last.To, last.Gone = s.At, true
				delete(open, target)
			}
		}
	}
	for target := range open {
		l := &lanes[index[target]]
		l.Spans[len(l.Spans)-1].To = end
	}
	return lanes
}

// podSample is one pod as a watch event showed it.
type podSample struct {
	At      time.Time
	Name    string
	IP      string
	Created time.Time
	// Ready is the pod's Ready condition, Gate its target-health gate.
	Ready, Gate bool
	Terminating bool
	// Exited is set once every container has terminated; Deleted when the
	// pod left the API.
	Exited, Deleted bool
	// PreStop is the kubelet's preStop sleep for the pod.
	PreStop time.Duration
}

// podLanes turns pod samples (oldest first) into one lane per pod, in the
// order the pods were created.
func podLanes(samples []podSample, start time.Time) []PodLane {
	var lanes []PodLane
	index := map[string]int{}
	ready := map[string]bool{}
	for _, s := range samples {
		i, ok := index[s.Name]
		if !ok {
			if s.Deleted {
				continue
			}
			i = len(lanes)
			index[s.Name] = i
			l := PodLane{Name: s.Name, Created: s.At}
			if s.Created.Before(start) {
				l.Created, l.Before = start, true
			}
			lanes = append(lanes, l)
		}
		l := &lanes[i]
		if s.IP != "" {
			l.IP = s.IP
		}
		switch {
		case s.Ready && !ready[s.Name] && l.Ready.IsZero():
			l.Ready = s.At
		case !s.Ready && ready[s.Name] && l.Unready.IsZero():
			l.Unready = s.At
		}
		if !s.Deleted {
			ready[s.Name] = s.Ready
		}
		setOnce(&l.GateTrue, s.Gate, s.At)
		if s.Terminating && l.Terminating.IsZero() {
			l.Terminating = s.At
			if s.PreStop > 0 {
				l.PreStopEnd = s.At.Add(s.PreStop)
			}
		}
		setOnce(&l.Exited, s.Exited, s.At)
		setOnce(&l.Gone, s.Deleted, s.At)
	}
	for i := range lanes {
		l := &lanes[i]
		// The kubelet cuts preStop short when the containers exit first
		// (the grace period ran out).
		if !l.PreStopEnd.IsZero() && !l.Exited.IsZero() && l.Exited.Before(l.PreStopEnd) {
			l.PreStopEnd = l.Exited
		}
	}
	slices.SortStableFunc(lanes, func(a, b PodLane) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return lanes
}

func setOnce(t *time.Time, cond bool, at time.Time) {
	if cond && t.IsZero() {
		*t = at
	}
}

// countSample is the emulator's request counts at one moment.
type countSample struct {
	At       time.Time
	Listener emulator.Counts
	Targets  map[string]emulator.Counts
}

func failed(c emulator.Counts) uint64 { return c.Total() - c.Success }

// trafficBins spreads the growth of the counts between consecutive samples
// (oldest first) into slots of width from start: each sample's growth goes
// to the slot its time falls in. The bins together count exactly what the
// listener counted between the first sample and the last, when the
// listener is the only one forwarding to those targets.
func trafficBins(samples []countSample, start, end time.Time, width time.Duration) []Bin {
	n := max(1, int((end.Sub(start)+width-1)/width))
	bins := make([]Bin, n)
	for i := range bins {
		bins[i] = Bin{From: start.Add(time.Duration(i) * width), To: start.Add(time.Duration(i+1) * width), ByTarget: map[string]uint64{}}
	}
	for k := 1; k < len(samples); k++ {
		prev, cur := samples[k-1], samples[k]
		i := min(n-1, max(0, int(cur.At.Sub(start)/width)))
		b := &bins[i]
		for target, c := range cur.Targets {
			if d := c.Success - prev.Targets[target].Success; d > 0 {
				b.ByTarget[target] += d
			}
		}
		b.Failed += failed(cur.Listener) - failed(prev.Listener)
	}
	return bins
}
