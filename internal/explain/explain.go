// Package explain says why a pod is not Ready or gets no traffic from a
// load balancer, as a short chain of facts, from what kubectl tgc gathered
// about it: the Services that select it, the bindings of those Services,
// and what each binding's planner found. It is pure: no I/O, no clock.
package explain

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// Level says what a finding means for the pod's traffic.
type Level string

const (
	// OK: this step is as it should be.
	OK Level = "ok"
	// Info: worth knowing, not in the way.
	Info Level = "info"
	// Problem: this step keeps traffic from the pod.
	Problem Level = "problem"
)

// Finding is one fact of the chain.
type Finding struct {
	Level Level  `json:"level"`
	Text  string `json:"text"`
	// Binding names the binding the finding is about; empty for the pod's
	// own facts.
	Binding string `json:"binding,omitempty"`
}

// Pod is what is known about the pod itself.
type Pod struct {
	Name string
	// Terminating: the pod has a deletion timestamp, since Since.
	Terminating bool
	// Ready and ContainersReady are its conditions; ReadySince is when
	// Ready last changed.
	Ready, ContainersReady bool
	ReadySince             time.Time
	// HasIP: the pod has an address yet.
	HasIP bool
}

// Facts are everything Explain reads.
type Facts struct {
	Pod Pod
	// Services are the names of the Services whose selector selects the
	// pod.
	Services []string
	// Bindings are the bindings of those Services, and those whose
	// readiness gate the pod carries.
	Bindings []Binding
}

// Explain turns the facts into the chain, in the order the path from a pod
// to the load balancer runs: the pod, its Services, each binding, its
// endpoint, the target, the gate, the plan.
func Explain(f Facts, now time.Time) []Finding {
	var out []Finding
	add := func(l Level, format string, args ...any) {
		out = append(out, Finding{Level: l, Text: fmt.Sprintf(format, args...)})
	}
	p := f.Pod
	switch {
	case p.Terminating:
		add(Problem, "pod %s is terminating: it is leaving its Services and load balancers", p.Name)
	case !p.HasIP:
		add(Problem, "pod %s has no IP address yet: it is not running", p.Name)
	case p.Ready:
		add(OK, "pod %s is Ready (since %s)", p.Name, age(p.ReadySince, now))
	case !p.ContainersReady:
		add(Problem, "pod %s is not Ready: its containers are not ready (see kubectl describe pod %s)", p.Name, p.Name)
	default:
		add(Info, "pod %s is not Ready although its containers are: a readiness gate holds it back", p.Name)
	}
	if len(f.Services) == 0 {
		add(Problem, "no Service selects pod %s: no binding can register it", p.Name)
	} else {
		add(OK, "Services that select it: %s", strings.Join(f.Services, ", "))
	}
	if len(f.Bindings) == 0 && len(f.Services) > 0 {
		add(Problem, "no TargetGroupBinding binds %s: nothing registers the pod in a target group", plural("Service", f.Services))
	}
	for _, b := range f.Bindings {
		for _, fd := range b.explain(p, now) {
			fd.Binding = b.Name
			out = append(out, fd)
		}
	}
	return out
}

// Worst is the most serious level among the findings.
func Worst(fs []Finding) Level {
	w := OK
	for _, f := range fs {
		switch {
		case f.Level == Problem:
			return Problem
		case f.Level == Info:
			w = Info
		}
	}
	return w
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return duration.HumanDuration(now.Sub(t))
}

func plural(what string, ss []string) string {
	if len(ss) == 1 {
		return what + " " + ss[0]
	}
	return what + "s " + strings.Join(ss, ", ")
}
