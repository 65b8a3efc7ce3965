package e2e

import (
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// watchLag is how much later than the controller the suite's pod watch may
// learn of a change. A pod's deletion reaches tgc through the EndpointSlice
// controller, after the API server has sent it to every pod watch, so the
// suite's own watch is normally first; the slack covers a watch that lags
// on a busy machine.
const watchLag = time.Second

// wrongRemoval is a healthy target that tgc deregistered while its pod was
// running, ready and not terminating.
type wrongRemoval struct {
	at     time.Time
	target string // "id:port"
	pod    string
}

func (w wrongRemoval) String() string { return fmt.Sprintf("%s (pod %s)", w.target, w.pod) }

// wrongRemovals reads the emulator's call log: every target that a
// successful DeregisterTargets on targetGroupARN named while a pod with that
// address was Ready and not terminating, and that stayed so for lag after
// the call started, was removed without evidence. With tgc's readiness gate
// a Ready pod's target has been healthy, so these are healthy targets of
// running pods. A pod that turned terminating or went away within lag of
// the call had given tgc its evidence, only the suite saw it late.
func wrongRemovals(calls []emulator.Call, targetGroupARN string, history []podChange, lag time.Duration) []wrongRemoval {
	var out []wrongRemoval
	for _, c := range calls {
		if c.Action != "DeregisterTargets" || c.TargetGroupARN != targetGroupARN || c.Result != "OK" {
			continue
		}
		for _, target := range c.TargetIDs {
			ip, _, err := net.SplitHostPort(target)
			if err != nil {
				continue
			}
			for _, pod := range podsWithIP(history, ip, c.Time) {
				if runningUntil(history, pod, c.Time.Add(lag)) {
					out = append(out, wrongRemoval{at: c.Time, target: target, pod: pod})
				}
			}
		}
	}
	return out
}

// podsWithIP names the pods that, at t, had ip and were Ready and not
// terminating.
func podsWithIP(history []podChange, ip string, t time.Time) []string {
	last := map[string]podChange{}
	for _, ch := range history {
		if ch.at.After(t) {
			break
		}
		last[ch.name] = ch
	}
	var out []string
	for name, ch := range last {
		if !ch.gone && ch.ip == ip && ch.ready && !ch.terminating {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// runningUntil reports whether pod was neither terminating nor gone in any
// state recorded up to until.
func runningUntil(history []podChange, pod string, until time.Time) bool {
	for _, ch := range history {
		if ch.at.After(until) {
			break
		}
		if ch.name == pod && (ch.gone || ch.terminating) {
			return false
		}
	}
	return true
}

func TestWrongRemovals(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	ready := func(ms int, name, ip string) podChange {
		return podChange{at: at(ms), name: name, podState: podState{ip: ip, ready: true}}
	}
	terminating := func(ms int, name, ip string) podChange {
		return podChange{at: at(ms), name: name, podState: podState{ip: ip, ready: true, terminating: true}}
	}
	deregister := func(ms int, result string, targets ...string) emulator.Call {
		return emulator.Call{Action: "DeregisterTargets", TargetGroupARN: tg, TargetIDs: targets, Targets: len(targets), Result: result, Time: at(ms)}
	}
	cases := map[string]struct {
		calls   []emulator.Call
		history []podChange
		want    []string
	}{
		"a running ready pod's target deregistered is a wrong removal": {
			history: []podChange{ready(0, "web-a", "10.244.0.2")},
			calls:   []emulator.Call{deregister(5000, "OK", "10.244.0.2:8080")},
			want:    []string{"10.244.0.2:8080 (pod web-a)"},
		},
		"a terminating pod's target deregistered is evidence-based": {
			history: []podChange{ready(0, "web-a", "10.244.0.2"), terminating(4000, "web-a", "10.244.0.2")},
			calls:   []emulator.Call{deregister(5000, "OK", "10.244.0.2:8080")},
		},
		"a termination the suite saw within the watch lag after the call is evidence": {
			history: []podChange{ready(0, "web-a", "10.244.0.2"), terminating(5300, "web-a", "10.244.0.2")},
			calls:   []emulator.Call{deregister(5000, "OK", "10.244.0.2:8080")},
		},
		"a termination long after the call does not excuse it": {
			history: []podChange{ready(0, "web-a", "10.244.0.2"), terminating(9000, "web-a", "10.244.0.2")},
			calls:   []emulator.Call{deregister(5000, "OK", "10.244.0.2:8080")},
			want:    []string{"10.244.0.2:8080 (pod web-a)"},
		},
		"a pod not yet ready is not a healthy target": {
			history: []podChange{{at: at(0), name: "web-a", podState: podState{ip: "10.244.0.2"}}},
			calls:   []emulator.Call{deregister(5000, "OK", "10.244.0.2:8080")},
		},
		"a gone pod's address is not a running pod": {
			history: []podChange{ready(0, "web-a", "10.244.0.2"), {at: at(3000), name: "web-a", podState: podState{ip: "10.244.0.2", ready: true}, gone: true}},
			calls:   []emulator.Call{deregister(5000, "OK", "10.244.0.2:8080")},
		},
		"a throttled deregistration removed nothing": {
			history: []podChange{ready(0, "web-a", "10.244.0.2")},
			calls:   []emulator.Call{deregister(5000, "Throttling", "10.244.0.2:8080")},
		},
		"another target group's call is not this run's": {
			history: []podChange{ready(0, "web-a", "10.244.0.2")},
			calls: []emulator.Call{{Action: "DeregisterTargets", TargetGroupARN: tg + "0", TargetIDs: []string{"10.244.0.2:8080"},
				Result: "OK", Time: at(5000)}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, w := range wrongRemovals(tc.calls, tg, tc.history, 500*time.Millisecond) {
				got = append(got, w.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("wrongRemovals = %q, want %q", got, tc.want)
			}
		})
	}
}
