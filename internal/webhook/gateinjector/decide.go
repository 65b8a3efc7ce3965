package gateinjector

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// Binding is what the decision needs to know of a TargetGroupBinding.
type Binding struct {
	Name        string
	ServiceName string
	// Deleting is true once the binding has a deletionTimestamp. Its gate
	// would never be satisfied once the binding is gone, so new pods do not
	// get it.
	Deleting bool
	// Instance is true for targetType instance. Its targets are nodes: a
	// node's health says nothing about one pod behind Cluster routing, and
	// with Local a gate would deadlock (the node is registered only once a
	// pod is ready, the pod turns ready only once its gate does). Its pods
	// get no gate.
	Instance bool
	// OptedOut is true when the binding sets readinessGate.inject: false:
	// its owner chose to let its pods turn Ready on their own probes.
	OptedOut bool
	// Drain is true when the binding sets drain.inject: true.
	Drain bool
	// ServicePort is the binding's spec.serviceRef.port.
	ServicePort intstr.IntOrString
	// Delay is status.deregistrationDelaySeconds; nil until recorded.
	Delay *time.Duration
}

// Service is what the decision needs to know of a Service.
type Service struct {
	Name     string
	Selector map[string]string
	Ports    []corev1.ServicePort
}

// Input is everything the injection decision depends on, all from the pod's
// namespace.
type Input struct {
	NamespaceLabels map[string]string
	PodLabels       map[string]string
	// PodGates are the readiness gates the pod already carries, e.g. written
	// by hand in the pod template.
	PodGates []corev1.PodReadinessGate
	Services []Service
	Bindings []Binding
}

// GatesToAdd returns the readiness gates the pod should get on top of those
// it already carries, sorted by condition type so that the patch is the same
// for the same inputs.
func GatesToAdd(in Input) []corev1.PodReadinessGate {
	if in.NamespaceLabels[v1alpha1.ReadinessGateInjectLabel] != v1alpha1.ReadinessGateInjectEnabled {
		return nil
	}
	selecting := map[string]bool{}
	for _, svc := range in.Services {
		selecting[svc.Name] = selects(svc.Selector, in.PodLabels)
	}
	have := map[corev1.PodConditionType]bool{}
	for _, g := range in.PodGates {
		have[g.ConditionType] = true
	}
	var add []corev1.PodReadinessGate
	for _, b := range in.Bindings {
		t := podgate.ConditionType(b.Name)
		if b.Deleting || b.Instance || b.OptedOut || !selecting[b.ServiceName] || have[t] {
			continue
		}
		have[t] = true
		add = append(add, corev1.PodReadinessGate{ConditionType: t})
	}
	slices.SortFunc(add, func(a, b corev1.PodReadinessGate) int {
		switch {
		case a.ConditionType < b.ConditionType:
			return -1
		case a.ConditionType > b.ConditionType:
			return 1
		}
		return 0
	})
	return add
}

// selects applies a Service's selector the way the EndpointSlice controller
// does: an empty selector selects nothing, because a Service without a
// selector has its endpoints managed by hand
// (https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors).
func selects(selector, podLabels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	return labels.SelectorFromValidatedSet(selector).Matches(labels.Set(podLabels))
}
