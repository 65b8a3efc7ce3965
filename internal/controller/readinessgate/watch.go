package readinessgate

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// bindingPredicates passes a binding's creation and deletion, and the
// moment it resolves (or changes) its target group: before that, gates can
// only wait.
func bindingPredicates() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			old, ok1 := e.ObjectOld.(*v1alpha1.TargetGroupBinding)
			cur, ok2 := e.ObjectNew.(*v1alpha1.TargetGroupBinding)
			return ok1 && ok2 && (old.Status.TargetGroupARN != cur.Status.TargetGroupARN || old.Generation != cur.Generation)
		},
	}
}
func podObject() client.Object { return &corev1.Pod{} }
