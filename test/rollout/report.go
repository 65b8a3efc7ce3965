// Package rollout records what happened during a rollout, on the real
// control plane and the ELBv2 emulator, and draws it as one self-contained
// HTML page: a lane per target (its ELB states), a lane per pod (created,
// Ready, gate, terminating, preStop, exit), the requests per second through
// the listener by target with every failed request marked, and the
// controller's AWS calls as ticks. `make demo` writes one for its rolling
// update and the e2e suite one per scenario (TGC_E2E_HTML), so a run can be
// looked at, not only read. It is test tooling: nothing that ships imports it.
package rollout

import "time"

// Report is a recorded run: everything the page draws, and the run's own
// accounting, which the page prints and its test checks against the drawing.
type Report struct {
	Title      string
	Start, End time.Time
	Targets    []TargetLane
	Pods       []PodLane
	Traffic    []Bin
	// Failures are the load generator's failed requests, each marked.
	Failures []Failure
	// Calls are the controller's AWS calls during the run.
	Calls []Call
	// Notes are moments the harness marked, e.g. "controller stopped".
	Notes   []Note
	Figures Figures
}

// Note is a moment of the run the harness named.
type Note struct {
	At   time.Time
	Text string
}

// Figures are the run's accounting, as the page's summary line prints it.
type Figures struct {
	// Sent and Failed are the load generator's counts.
	Sent, Failed int
	// ListenerSent and ListenerFailed are the emulator's listener's counts
	// over the same window, which must agree with the load generator's.
	ListenerSent, ListenerFailed uint64
	// Calls is how many AWS calls the controller made, Writes how many of
	// them registered or deregistered targets.
	Calls, Writes int
	// Rate is the configured request rate, per second.
	Rate int
}

// TargetLane is one target's ELB states over the run, in order.
type TargetLane struct {
	// Target is "id:port"; Pod is the pod whose IP the id is, when known.
	Target, Pod string
	Spans       []Span
}

// Span is a time during which a target held one state.
type Span struct {
	State, Reason string
	From, To      time.Time
	// Gone is set on a target's last span when the target left the group
	// before the run ended.
	Gone bool
}

// PodLane is one pod's life over the run. Zero times were not seen.
type PodLane struct {
	Name, IP string
	// Created is the first time the recorder saw the pod: its creation
	// for a pod created during the run, the run's start for one that was
	// already there (Before is then true).
	Created time.Time
	Before  bool
	// Ready and GateTrue are when the pod's Ready condition and its
	// target-health gate first turned True; Unready is when Ready turned
	// False again.
	Ready, GateTrue, Unready time.Time
	// Terminating is when the pod was seen deleted; PreStopEnd is when its
	// preStop hook ended (the loopback kubelet's sleep), Exited when its
	// containers had all terminated, Gone when it left the API.
	Terminating, PreStopEnd, Exited, Gone time.Time
}

// Bin is the requests answered in one time slot, by target.
type Bin struct {
	From, To time.Time
	// ByTarget counts the requests each target answered successfully.
	ByTarget map[string]uint64
	// Failed counts the listener's non-successes in the slot, whoever
	// they were counted against.
	Failed uint64
}

// Total is the requests the bin counts, answered or failed.
func (b Bin) Total() uint64 {
	n := b.Failed
	for _, v := range b.ByTarget {
		n += v
	}
	return n
}

// Failure is one failed request, as the load generator saw it.
type Failure struct {
	At    time.Time
	Cause string
}

// Call is one AWS call of the controller.
type Call struct {
	At      time.Time
	Action  string
	Result  string
	Targets int
}

// Write reports whether the call changed the target group's targets.
func (c Call) Write() bool { return c.Action == "RegisterTargets" || c.Action == "DeregisterTargets" }
