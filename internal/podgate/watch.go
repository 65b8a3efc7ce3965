package podgate

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The watch helpers below are shared by the binding controller (a gated
// pod whose containers turn ready can be registered although its endpoint
// still reads not ready) and the readiness gate controller (which decides
// the gate), so that neither controller imports the other.

// PodChanged reports whether a pod changed in a way that matters to its
// readiness gates: its containers' readiness, its IP, the start of its
// deletion, or the status of one of the gate conditions tgc may answer for. The kubelet's
// other status writes (probe times, container states) are not.
func PodChanged(old, cur *corev1.Pod) bool {
	if old.Status.PodIP != cur.Status.PodIP || !old.DeletionTimestamp.Equal(cur.DeletionTimestamp) {
		return true
	}
	was, _ := Condition(old, corev1.ContainersReady)
	is, _ := Condition(cur, corev1.ContainersReady)
	if was != is {
		return true
	}
	for _, gate := range Gates(cur) {
		o, c := GateCondition(old, gate), GateCondition(cur, gate)
		if (o == nil) != (c == nil) || (o != nil && o.Status != c.Status) {
			return true
		}
	}
	return false
}

// GatedPodPredicates pass the events of pods carrying tgc gates that
// PodChanged says matter, and their creation and deletion.
func GatedPodPredicates() predicate.Predicate {
	gated := func(o client.Object) bool {
		pod, ok := o.(*corev1.Pod)
		return ok && len(Gates(pod)) > 0
	}
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return gated(e.Object) },
		DeleteFunc:  func(e event.DeleteEvent) bool { return gated(e.Object) },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			old, ok1 := e.ObjectOld.(*corev1.Pod)
			cur, ok2 := e.ObjectNew.(*corev1.Pod)
			return ok1 && ok2 && gated(cur) && PodChanged(old, cur)
		},
	}
}

// EnqueueGatedBindings maps a gated pod to the bindings its gates name; a
// peer's gate maps to the binding of the same name, which answers for it
// when it was migrated from the peer's.
func EnqueueGatedBindings() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		pod, ok := o.(*corev1.Pod)
		if !ok {
			return nil
		}
		var reqs []reconcile.Request
		for _, gate := range Gates(pod) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: pod.Namespace, Name: BindingOfGate(gate)}})
		}
		return reqs
	})
}
