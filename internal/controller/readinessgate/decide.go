package readinessgate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Reasons tgc writes on a gate condition besides the ELB's own
// (Elb.RegistrationInProgress, Elb.InitialHealthChecking,
// Target.FailedHealthChecks, Target.NotRegistered, ...), which are copied
// from DescribeTargetHealth as they are.
const (
	ReasonTargetHealthy          = "TargetHealthy"
	ReasonContainersNotReady     = "ContainersNotReady"
	ReasonTargetGroupNotResolved = "TargetGroupNotResolved"
	ReasonEndpointNotFound       = "EndpointNotFound"
	ReasonTargetHealthUnknown    = "TargetHealthUnknown"
	// ReasonInstanceTarget: the binding registers nodes (targetType
	// instance), so the pod has no target of its own to wait for.
	ReasonInstanceTarget = "InstanceTarget"
)

// Observation is what is known about one gated pod when its gate is decided.
type Observation struct {
	Pod     *corev1.Pod
	Binding string
	// ARN is the binding's resolved target group; empty until the binding
	// controller has resolved it.
	ARN string
	// Endpoint is the pod's endpoint for the binding's Service port; nil
	// while no EndpointSlice lists the pod.
	Endpoint *targets.PodEndpoint
	// Health is the target group as last read; nil when never read.
	Health map[targets.Key]targets.Health
	// Instance: the binding's targetType is instance.
	Instance bool
}

// Verdict is what to do with one pod's gate.
type Verdict struct {
	// Set is the condition to write; nil leaves the pod as it is.
	Set *corev1.PodCondition
	// Pending: the pod waits for its target to become healthy, so the
	// target group must be polled.
	Pending bool
	// Ready: the gate is (or becomes) True.
	Ready bool
}

// Decide is the gate's rule. It is pure; times are left to the caller.
//
//   - A terminating pod is left alone: its Ready is the kubelet's business,
//     and its target is being deregistered anyway.
//   - The gate of an instance binding's pod is True at once: the binding's
//     targets are nodes, and the pod has none to wait for.
//   - A pod whose containers are not ready is not registered. A True gate is
//     turned False then (the pod is not Ready, so nothing serving is cut
//     off), so that when the containers recover the pod waits for a healthy
//     target again instead of taking traffic through kube-proxy while the
//     load balancer still reads it as initial.
//   - Otherwise the gate is True once the target reads healthy, and False
//     with the ELB's reason while it reads anything else.
//   - A True gate of a pod that is serving is never turned False because its
//     target turned unhealthy. The load balancer already routes around an
//     unhealthy target, and failing every pod's gate when a health check
//     breaks for all of them would take the Service out of every in-cluster
//     endpoint too, and stall rollouts. It is turned False only when the
//     target left the group (not registered, or draining), because then the
//     pod is truly no longer behind the load balancer.
func Decide(o Observation) Verdict {
	pod := o.Pod
	cur := podgate.GateCondition(pod, o.Binding)
	isTrue := cur != nil && cur.Status == corev1.ConditionTrue
	if pod.DeletionTimestamp != nil {
		return Verdict{Ready: isTrue}
	}
	if o.Instance {
		// Only a hand-written gate gets here: the webhook gives none to
		// the pods of an instance binding. Held False it would keep the
		// pod out of its Service for good, and with externalTrafficPolicy
		// Local deadlock, since the node is registered only once a pod on
		// it is ready.
		return set(cur, o.Binding, corev1.ConditionTrue, ReasonInstanceTarget,
			fmt.Sprintf("binding %s registers nodes (targetType instance), not pods: the gate has no target to wait for; remove it from the pod template", o.Binding), false)
	}
	if !podgate.Registrable(pod, o.Binding) {
		if isTrue {
			if st, _ := podgate.Condition(pod, corev1.ContainersReady); st != corev1.ConditionTrue {
				return set(cur, o.Binding, corev1.ConditionFalse, ReasonContainersNotReady,
					"containers are not ready; the gate waits for the target to be healthy again once they are", false)
			}
		}
		return Verdict{Ready: isTrue}
	}

	waitOr := func(reason, msg string) Verdict {
		if isTrue {
			return Verdict{Ready: true} // cannot judge; keep serving
		}
		return set(cur, o.Binding, corev1.ConditionFalse, reason, msg, true)
	}
	switch {
	case o.ARN == "":
		return waitOr(ReasonTargetGroupNotResolved, fmt.Sprintf("binding %s has not resolved its target group yet; see its Ready condition", o.Binding))
	case o.Endpoint == nil:
		return waitOr(ReasonEndpointNotFound, "no EndpointSlice of the binding's Service lists this pod on the bound port yet")
	case o.Health == nil:
		return waitOr(ReasonTargetHealthUnknown, fmt.Sprintf("target health of %s has not been read yet", o.ARN))
	}

	t := o.Endpoint.Target
	h, found := o.Health[t.Key()]
	switch {
	case found && h.State == targets.StateHealthy:
		return set(cur, o.Binding, corev1.ConditionTrue, ReasonTargetHealthy, fmt.Sprintf("target %s is healthy in %s", t, o.ARN), false)
	case !found || !h.Registered():
		return set(cur, o.Binding, corev1.ConditionFalse, targets.ReasonNotRegistered,
			fmt.Sprintf("target %s is not registered in %s yet", t, o.ARN), true)
	case h.Leaving():
		return set(cur, o.Binding, corev1.ConditionFalse, reasonOr(h, targets.ReasonDeregistrationInProgress),
			fmt.Sprintf("target %s is %s in %s; tgc registers it again", t, h.State, o.ARN), true)
	case isTrue:
		return Verdict{Ready: true}
	}
	msg := fmt.Sprintf("target %s is %s in %s", t, h.State, o.ARN)
	if h.Description != "" {
		msg += ": " + h.Description
	}
	return set(cur, o.Binding, corev1.ConditionFalse, reasonOr(h, "Elb."+string(h.State)), msg, true)
}

func reasonOr(h targets.Health, fallback string) string {
	if h.Reason != "" {
		return h.Reason
	}
	return fallback
}

// set returns a verdict that writes the condition unless the pod already
// carries exactly it. LastTransitionTime is left for the caller to fill in
// when the status changes.
func set(cur *corev1.PodCondition, binding string, st corev1.ConditionStatus, reason, msg string, pending bool) Verdict {
	v := Verdict{Pending: pending, Ready: st == corev1.ConditionTrue}
	if cur != nil && cur.Status == st && cur.Reason == reason && cur.Message == msg {
		return v
	}
	c := corev1.PodCondition{Type: podgate.ConditionType(binding), Status: st, Reason: reason, Message: msg}
	if cur != nil && cur.Status == st {
		c.LastTransitionTime = cur.LastTransitionTime
	}
	v.Set = &c
	return v
}
