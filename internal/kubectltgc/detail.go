package kubectltgc

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// bindingDetail is status's output for one binding: its summary, what a
// sync would do now, and one row per target.
type bindingDetail struct {
	bindingSummary
	// StopReason and StopMessage: a sync would stop before planning.
	StopReason  string      `json:"stopReason,omitempty"`
	StopMessage string      `json:"stopMessage,omitempty"`
	Plan        planCounts  `json:"plan"`
	Rows        []targetRow `json:"targetRows"`
}

type planCounts struct {
	Register   int `json:"register"`
	Deregister int `json:"deregister"`
	Held       int `json:"held"`
	Withheld   int `json:"withheld"`
}

// targetRow is one target: in the group, or desired and not yet in it.
type targetRow struct {
	Target      string `json:"target"`
	Pod         string `json:"pod,omitempty"`
	Node        string `json:"node,omitempty"`
	State       string `json:"state,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
	// Gate is the pod's tgc readiness gate condition: True, False, or
	// empty when the pod carries none.
	Gate       string `json:"gate,omitempty"`
	GateReason string `json:"gateReason,omitempty"`
	// Since is when the gate last changed, or else the pod's (or node's)
	// Ready condition: how long the target has been as it is, as far as
	// Kubernetes recorded it (AWS gives no time for a health state).
	Since *metav1.Time `json:"since,omitempty"`
	// Note says what a sync would do with the target, or why it is there.
	Note string `json:"note,omitempty"`
}

// detail builds the rows from the planner's preview and the pods and
// nodes behind the targets. It is pure.
func detail(tgb *v1alpha1.TargetGroupBinding, p binding.Preview, pods map[string]*corev1.Pod, nodes []corev1.Node) bindingDetail {
	d := bindingDetail{bindingSummary: summarize(tgb), StopReason: p.Reason, StopMessage: p.Message,
		Plan: planCounts{len(p.Plan.Register), len(p.Plan.Deregister), len(p.Held), len(p.Plan.Withheld)}}
	if p.TargetGroup.ARN != "" {
		d.TargetGroupARN = p.TargetGroup.ARN
	}
	if p.Reason != "" {
		return d
	}
	who := owners(p, nodes)
	notes := notesOf(p)
	rows := map[targets.Key]*targetRow{}
	var order []targets.Target
	row := func(t targets.Target) *targetRow {
		if r, ok := rows[t.Key()]; ok {
			return r
		}
		r := &targetRow{Target: t.WithoutZone().String()}
		rows[t.Key()] = r
		order = append(order, t)
		return r
	}
	for _, h := range p.Health {
		if !h.Registered() {
			continue
		}
		r := row(h.Target)
		r.State, r.Reason, r.Description = string(h.State), h.Reason, h.Description
	}
	for _, t := range p.Desired.Targets {
		row(t)
	}
	for _, t := range order {
		r := rows[t.Key()]
		r.Note = notes[t.Key()]
		if p.Owned != nil && r.Note == "" && !p.Owned[t.WithoutZone()] && !slices.ContainsFunc(p.Desired.Targets, func(d targets.Target) bool { return d.Key() == t.Key() }) {
			r.Note = "not this binding's (multiClusterTargetGroup)"
		}
		o := who[t.Key()]
		r.Pod, r.Node = o.pod, o.node
		if pod := pods[o.pod]; pod != nil {
			r.Node = pod.Spec.NodeName
			r.Gate, r.GateReason, r.Since = gateOf(pod, tgb.Name)
		}
		if o.since != nil && r.Since == nil {
			r.Since = o.since
		}
	}
	slices.SortFunc(order, targets.Compare)
	for _, t := range order {
		d.Rows = append(d.Rows, *rows[t.Key()])
	}
	return d
}

type owner struct {
	pod, node string
	since     *metav1.Time
}

// owners finds the pod (targetType ip) or node (instance) behind each
// target.
func owners(p binding.Preview, nodes []corev1.Node) map[targets.Key]owner {
	out := map[targets.Key]owner{}
	for _, pe := range p.Desired.Pods {
		out[pe.Target.Key()] = owner{pod: pe.Name}
	}
	for i := range nodes {
		id, ok := targets.InstanceID(&nodes[i])
		if !ok {
			continue
		}
		o := owner{node: nodes[i].Name, since: readySince(nodes[i].Status.Conditions)}
		for _, h := range p.Health {
			if h.Instance == id {
				out[h.Key()] = o
			}
		}
		for _, t := range p.Desired.Targets {
			if t.Instance == id {
				out[t.Key()] = o
			}
		}
	}
	return out
}

// notesOf says, per target, what a sync would do with it or why it is
// as it is.
func notesOf(p binding.Preview) map[targets.Key]string {
	notes := map[targets.Key]string{}
	set := func(ts []targets.Target, note string) {
		for _, t := range ts {
			if n := notes[t.Key()]; n != "" {
				note = n + "; " + note
			}
			notes[t.Key()] = note
		}
	}
	set(p.Desired.NotReady, "endpoint not ready")
	set(p.Desired.Terminating, "endpoint terminating")
	set(p.Desired.Gated, "registered for its readiness gate")
	set(p.Plan.Withheld, "kept: no ready endpoints (emptyEndpointsPolicy Retain)")
	set(p.Held, "deregistration held by the brake")
	set(p.Plan.Deregister, "tgc deregisters it")
	set(p.Plan.Register, "tgc registers it")
	return notes
}

func gateOf(pod *corev1.Pod, bindingName string) (string, string, *metav1.Time) {
	if !podgate.HasGate(pod, bindingName) {
		return "", "", podReadySince(pod)
	}
	c := podgate.GateCondition(pod, bindingName)
	if c == nil {
		return "False", "no condition yet", nil
	}
	t := c.LastTransitionTime
	return string(c.Status), c.Reason, &t
}

// podReadySince is when the pod's Ready condition last changed.
func podReadySince(pod *corev1.Pod) *metav1.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && !c.LastTransitionTime.IsZero() {
			t := c.LastTransitionTime
			return &t
		}
	}
	return nil
}

// readySince is when a Ready condition last changed; nil without one.
func readySince(cs []corev1.NodeCondition) *metav1.Time {
	for _, c := range cs {
		if c.Type == corev1.NodeReady && !c.LastTransitionTime.IsZero() {
			t := c.LastTransitionTime
			return &t
		}
	}
	return nil
}
