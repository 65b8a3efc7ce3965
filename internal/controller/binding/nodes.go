package binding

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// TargetTypeIndex indexes bindings by spec.targetType, so that a node event
// finds the instance bindings without listing every binding.
const TargetTypeIndex = "spec.targetType"

// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch

// nodeInput reads every node from the cache for an instance binding, and
// its nodeSelector. Desired applies the selector itself, so that a node it
// no longer selects is told apart from one that is gone.
func (p *Planner) nodeInput(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (*targets.NodeInput, *failure) {
	// No nodeSelector selects every node (LabelSelectorAsSelector reads
	// nil as selecting nothing).
	sel := labels.Everything()
	if tgb.Spec.NodeSelector != nil {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(tgb.Spec.NodeSelector); err != nil {
			return nil, badInput(v1alpha1.ReasonInvalidNodeSelector, "spec.nodeSelector is not a valid label selector: %v; fix spec.nodeSelector", err)
		}
	}
	var nodes corev1.NodeList
	// The cache's objects are read, never changed: no copy is needed, and
	// a cluster's nodes are many.
	if err := p.kube.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
		return nil, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing nodes: %v", err)}
	}
	return &targets.NodeInput{Nodes: nodes.Items, Selector: sel}, nil
}

// nodeDeleted records a deleted node's instance.
func (c *Controller) nodeDeleted(obj any) {
	n, ok := lastState(obj).(*corev1.Node)
	if !ok {
		return
	}
	if id, ok := targets.InstanceID(n); ok {
		c.goneNodes.record(c.clock.Now(), id)
	}
}

// instanceBindings maps a node event to every instance binding: with
// externalTrafficPolicy Cluster each of them may register the node, and
// with Local a node's signals (a disruption taint) matter before its
// endpoints change.
func instanceBindings(kube client.Client) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		var list v1alpha1.TargetGroupBindingList
		if err := kube.List(ctx, &list, client.MatchingFields{TargetTypeIndex: string(v1alpha1.TargetTypeInstance)}); err != nil {
			log.FromContext(ctx).Error(err, "listing instance bindings to sync after a node change", "node", o.GetName())
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: bindingKey(&list.Items[i])})
		}
		return reqs
	})
}

func targetTypeOf(o client.Object) []string {
	return []string{string(targetType(o.(*v1alpha1.TargetGroupBinding)))}
}

// nodeChanged lets through the node events that can change a binding's
// targets: creation, deletion, and updates of what Desired reads. A node
// heartbeat every few seconds (status conditions' timestamps) changes none
// of it, and in a large cluster would otherwise sync every instance binding
// that often.
func nodeChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			a, okA := e.ObjectOld.(*corev1.Node)
			b, okB := e.ObjectNew.(*corev1.Node)
			return !okA || !okB || NodeFingerprint(a) != NodeFingerprint(b)
		},
	}
}

// NodeFingerprint is what of a node decides whether it is a target: its
// labels, taints, provider ID, Ready status and deletion.
func NodeFingerprint(n *corev1.Node) string {
	keys := make([]string, 0, len(n.Labels))
	for k := range n.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fp := n.Spec.ProviderID + "|" + fmt.Sprint(targets.NodeReady(n), n.DeletionTimestamp != nil) + "|"
	for _, k := range keys {
		fp += k + "=" + n.Labels[k] + ";"
	}
	for _, t := range n.Spec.Taints {
		fp += "|" + t.Key + "=" + t.Value + ":" + string(t.Effect)
	}
	return fp
}
