package kubectltgc

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/explain"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// podFacts are the pod's own facts for explain.
func podFacts(pod *corev1.Pod) explain.Pod {
	f := explain.Pod{Name: pod.Name, Terminating: pod.DeletionTimestamp != nil, HasIP: pod.Status.PodIP != ""}
	for _, c := range pod.Status.Conditions {
		switch c.Type {
		case corev1.PodReady:
			f.Ready, f.ReadySince = c.Status == corev1.ConditionTrue, c.LastTransitionTime.Time
		case corev1.ContainersReady:
			f.ContainersReady = c.Status == corev1.ConditionTrue
		}
	}
	return f
}

// bindingFacts are what one binding's preview says about the pod. node is
// the pod's node, read for bindings of targetType instance only. It is
// pure.
func bindingFacts(pod *corev1.Pod, tgb *v1alpha1.TargetGroupBinding, p binding.Preview, selects bool, node *corev1.Node) explain.Binding {
	b := explain.Binding{Name: tgb.Name, Service: tgb.Spec.ServiceRef.Name, Selects: selects, Paused: tgb.Spec.Paused,
		TargetGroup: groupName(p.TargetGroup.ARN), StopReason: p.Reason, StopMessage: p.Message}
	if p.Reason != "" {
		return b
	}
	if b.HasGate = podgate.HasGate(pod, tgb.Name); b.HasGate {
		if c := podgate.GateCondition(pod, tgb.Name); c != nil {
			b.GateTrue, b.GateReason, b.GateSince = c.Status == corev1.ConditionTrue, c.Reason, c.LastTransitionTime.Time
		}
	}
	t, found := endpointOf(&b, pod, p)
	if tgb.Spec.TargetType == v1alpha1.TargetTypeInstance && node != nil {
		b.Node = node.Name
		t, found = nodeTarget(node, p)
	}
	if !found {
		return b
	}
	b.Target = t.WithoutZone().String()
	for _, h := range p.Health {
		if h.Key() == t.Key() && h.Registered() {
			b.State, b.Reason, b.Description = string(h.State), h.Reason, h.Description
		}
	}
	switch {
	case has(p.Plan.Register, t):
		b.Action = explain.ActionRegister
	case has(p.Plan.Deregister, t):
		b.Action = explain.ActionDeregister
	case has(p.Held, t):
		b.Action = explain.ActionHeld
	case has(p.Plan.Withheld, t):
		b.Action = explain.ActionWithheld
	}
	return b
}

// endpointOf sets how the Service lists the pod, and returns its target:
// the endpoint's, or, with none, a target in the group at the pod's IP.
func endpointOf(b *explain.Binding, pod *corev1.Pod, p binding.Preview) (targets.Target, bool) {
	pe, ok := p.Desired.Pods[pod.UID]
	if !ok {
		b.Endpoint = explain.EndpointMissing
		for _, h := range p.Health {
			if h.Instance == "" && h.IP.String() == pod.Status.PodIP && h.Registered() {
				return h.Target, true
			}
		}
		return targets.Target{}, false
	}
	t := pe.Target
	switch {
	case pe.Terminating || has(p.Desired.Terminating, t):
		b.Endpoint = explain.EndpointTerminating
	case has(p.Desired.Gated, t):
		b.Endpoint = explain.EndpointGated
	case has(p.Desired.Targets, t):
		b.Endpoint = explain.EndpointReady
	default:
		b.Endpoint = explain.EndpointNotReady
		for _, s := range p.Desired.Skipped {
			if s.Target.Key() == t.Key() {
				b.Endpoint, b.SkipReason = explain.EndpointSkipped, string(s.Reason)
			}
		}
	}
	return t, true
}

// nodeTarget is the target of the pod's node in an instance binding.
func nodeTarget(node *corev1.Node, p binding.Preview) (targets.Target, bool) {
	id, ok := targets.InstanceID(node)
	if !ok {
		return targets.Target{}, false
	}
	for _, t := range p.Desired.Targets {
		if t.Instance == id {
			return t, true
		}
	}
	for _, h := range p.Health {
		if h.Instance == id {
			return h.Target, true
		}
	}
	return targets.Target{}, false
}
