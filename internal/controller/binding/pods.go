package binding

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	gatecontroller "github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
)

// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get

// bindingsOfGatedPod maps a pod carrying tgc readiness gates to the bindings
// the gates name. Such a pod's endpoint reads not ready while its gate
// waits, so the EndpointSlice does not change when its containers become
// ready; the pod itself says it can now be registered (issue 5).
func bindingsOfGatedPod() handler.EventHandler { return gatecontroller.EnqueueGatedBindings() }

// gatedPodPredicates drop the kubelet's status writes that cannot change
// whether a gated pod is registered.
func gatedPodPredicates() predicate.Predicate { return gatecontroller.GatedPodPredicates() }

func podObject() client.Object { return &corev1.Pod{} }
