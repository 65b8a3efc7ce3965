package kubectltgc

import (
	"fmt"
	"io"
	"slices"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// bindingDiff is diff's output for one binding.
type bindingDiff struct {
	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	TargetGroupARN string `json:"targetGroupARN,omitempty"`
	Paused         bool   `json:"paused,omitempty"`
	// StopReason and StopMessage: a sync would stop before planning, so
	// there is no plan to show.
	StopReason  string   `json:"stopReason,omitempty"`
	StopMessage string   `json:"stopMessage,omitempty"`
	Desired     int      `json:"desired"`
	Changes     []change `json:"changes"`
}

// Actions of a change.
const (
	actionRegister   = "register"
	actionDeregister = "deregister"
	actionHeld       = "held"
	actionWithheld   = "kept"
)

// change is one target a sync would register or deregister now, or
// would have removed but keeps back.
type change struct {
	Action string `json:"action"`
	Target string `json:"target"`
	Pod    string `json:"pod,omitempty"`
	Why    string `json:"why"`
}

type diffList struct {
	Items []bindingDiff `json:"items"`
}

// diffOf lists the preview's changes: deregistrations first, as a sync
// makes them. It is pure.
func diffOf(tgb *v1alpha1.TargetGroupBinding, p binding.Preview) bindingDiff {
	d := bindingDiff{Namespace: tgb.Namespace, Name: tgb.Name, TargetGroupARN: p.TargetGroup.ARN, Paused: tgb.Spec.Paused,
		StopReason: p.Reason, StopMessage: p.Message, Desired: len(p.Desired.Targets), Changes: []change{}}
	if d.TargetGroupARN == "" {
		d.TargetGroupARN = tgb.Status.TargetGroupARN
	}
	pods := map[targets.Key]string{}
	for _, pe := range p.Desired.Pods {
		pods[pe.Target.Key()] = pe.Name
	}
	svc := tgb.Spec.ServiceRef.Name
	add := func(action string, ts []targets.Target, why func(targets.Target) string) {
		for _, t := range ts {
			d.Changes = append(d.Changes, change{Action: action, Target: t.WithoutZone().String(), Pod: pods[t.Key()], Why: why(t)})
		}
	}
	gone := func(t targets.Target) string { return whyGone(p, t, svc) }
	add(actionDeregister, p.Plan.Deregister, gone)
	add(actionHeld, p.Held, func(t targets.Target) string {
		return gone(t) + ", without evidence that it is going: the brake holds it (kubectl tgc status " + tgb.Name + ")"
	})
	add(actionWithheld, p.Plan.Withheld, func(targets.Target) string {
		return "Service " + svc + " has no ready endpoints; emptyEndpointsPolicy Retain keeps it"
	})
	add(actionRegister, p.Plan.Register, func(t targets.Target) string {
		switch {
		case has(p.Desired.Gated, t):
			return "its pod waits for tgc's readiness gate"
		case t.Instance != "":
			return "node serves Service " + svc
		}
		return "ready endpoint of Service " + svc
	})
	return d
}

// whyGone says why a target in the group is not wanted.
func whyGone(p binding.Preview, t targets.Target, svc string) string {
	switch {
	case has(p.Desired.Terminating, t):
		return "endpoint terminating"
	case has(p.Desired.NotReady, t):
		return "endpoint not ready"
	case slices.ContainsFunc(p.Desired.Skipped, func(s targets.Skipped) bool { return s.Target.Key() == t.Key() }):
		return "endpoint skipped: no Pod of the binding behind it"
	case t.Instance != "":
		return "node no longer serves Service " + svc
	}
	return "not an endpoint of Service " + svc
}

func has(ts []targets.Target, t targets.Target) bool {
	return slices.ContainsFunc(ts, func(x targets.Target) bool { return x.Key() == t.Key() })
}

// differs reports whether the group is not what the binding wants.
func (d bindingDiff) differs() bool { return len(d.Changes) > 0 }

func writeDiffs(w, errOut io.Writer, ds []bindingDiff, allNamespaces, coloured bool) error {
	t := table{header: []string{"BINDING", "ACTION", "TARGET", "POD", "WHY"}}
	for _, d := range ds {
		name := d.Name
		if allNamespaces {
			name = d.Namespace + "/" + d.Name
		}
		for _, c := range d.Changes {
			t.add(plain(name), actionCell(c.Action), plain(c.Target), plain(dash(c.Pod)), plain(c.Why))
		}
	}
	if len(t.rows) > 0 {
		if err := t.write(w, coloured); err != nil {
			return err
		}
	}
	for _, d := range ds {
		switch {
		case d.StopReason != "":
			fmt.Fprintf(errOut, "binding %s/%s: no plan: a sync would stop with %s: %s\n", d.Namespace, d.Name, d.StopReason, d.StopMessage)
		case !d.differs():
			fmt.Fprintf(w, "binding %s/%s: no differences: target group %s holds the %d targets it wants\n", d.Namespace, d.Name, groupName(d.TargetGroupARN), d.Desired)
		case d.Paused:
			fmt.Fprintf(errOut, "Warning: binding %s/%s is paused: these changes wait for kubectl tgc resume %s -n %s\n", d.Namespace, d.Name, d.Name, d.Namespace)
		}
	}
	return nil
}

func actionCell(a string) cell {
	switch a {
	case actionRegister:
		return cell{a, green}
	case actionDeregister:
		return cell{a, red}
	}
	return cell{a, yellow}
}
