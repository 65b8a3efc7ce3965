package binding

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/claims"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// ServiceRefIndex indexes bindings by spec.serviceRef.name, so that a
// Service or EndpointSlice event finds its bindings without a full list.
const ServiceRefIndex = "spec.serviceRef.name"

// TargetGroupIndex indexes bindings by the target group they sync
// (claims.BoundARN), so that the conflict check and the wake-up after a membership
// change find a group's bindings without copying every binding: with 1,000
// bindings a full list per sync cost more CPU than the rest of the sync.
const TargetGroupIndex = "targetGroupARN"

// SliceServiceIndex indexes EndpointSlices by their Service
// (kubernetes.io/service-name), so that a sync reads its Service's slices
// without scanning every slice of the namespace.
const SliceServiceIndex = "metadata.labels.service-name"

// Index is a field index that the planner's reads go through.
type Index struct {
	Object  client.Object
	Field   string
	Extract client.IndexerFunc
}

// Indexes are every field index the planner reads through, with the
// functions that compute them: the manager's cache registers them, and a
// reader over the API server, which knows none of them, filters with the
// same functions.
func Indexes() []Index {
	return append(bindingIndexes(),
		Index{&corev1.Pod{}, PodIPIndex, podIPs},
		Index{&corev1.Pod{}, podgate.PodGateIndex, podgate.IndexValues},
	)
}

// bindingIndexes are those the controller always registers; the pod
// indexes come with the brake and the readiness gates.
func bindingIndexes() []Index {
	return []Index{
		{&v1alpha1.TargetGroupBinding{}, ServiceRefIndex, serviceRefOf},
		{&v1alpha1.TargetGroupBinding{}, TargetGroupIndex, targetGroupOf},
		{&v1alpha1.TargetGroupBinding{}, TargetTypeIndex, targetTypeOf},
		{&discoveryv1.EndpointSlice{}, SliceServiceIndex, sliceServiceOf},
	}
}

func indexByService(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	for _, i := range bindingIndexes() {
		if err := idx.IndexField(ctx, i.Object, i.Field, i.Extract); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", i.Object, i.Field, err)
		}
	}
	return nil
}

func serviceRefOf(o client.Object) []string {
	return []string{o.(*v1alpha1.TargetGroupBinding).Spec.ServiceRef.Name}
}

func sliceServiceOf(o client.Object) []string {
	if svc := o.GetLabels()[discoveryv1.LabelServiceName]; svc != "" {
		return []string{svc}
	}
	return nil
}

func targetGroupOf(o client.Object) []string {
	if arn := claims.BoundARN(o.(*v1alpha1.TargetGroupBinding)); arn != "" {
		return []string{arn}
	}
	return nil
}

func serviceObject() client.Object { return &corev1.Service{} }
func sliceObject() client.Object   { return &discoveryv1.EndpointSlice{} }

// bindingPredicates lets through binding events that need a sync:
// creation, deletion, and updates that change what a sync reads
// (needsSync). Status writes, which tgc makes itself, are left out;
// otherwise every sync would trigger the next.
func bindingPredicates() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool { return needsSync(e.ObjectOld, e.ObjectNew) },
	}
}

func bindingsOfService(kube client.Client) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		return bindingsFor(ctx, kube, o.GetNamespace(), o.GetName())
	})
}

// bindingsOfSlice maps an EndpointSlice to the bindings of its Service,
// named by the kubernetes.io/service-name label the EndpointSlice controller
// sets.
func bindingsOfSlice(kube client.Client) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		svc := o.GetLabels()[discoveryv1.LabelServiceName]
		if svc == "" {
			return nil
		}
		return bindingsFor(ctx, kube, o.GetNamespace(), svc)
	})
}

func bindingsFor(ctx context.Context, kube client.Client, namespace, service string) []reconcile.Request {
	var list v1alpha1.TargetGroupBindingList
	if err := kube.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{ServiceRefIndex: service}); err != nil {
		// The cache is local, so this fails only on a missing index: a bug.
		log.FromContext(ctx).Error(err, "listing bindings of Service", "service", types.NamespacedName{Namespace: namespace, Name: service})
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: bindingKey(&list.Items[i])})
	}
	return reqs
}

// bindingsOfGroup maps a target group the shared view found changed outside
// tgc to the bindings that sync it.
func bindingsOfGroup(kube client.Client) handler.TypedEventHandler[string, reconcile.Request] {
	return handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, arn string) []reconcile.Request {
		var list v1alpha1.TargetGroupBindingList
		if err := kube.List(ctx, &list, client.MatchingFields{TargetGroupIndex: arn}); err != nil {
			log.FromContext(ctx).Error(err, "listing bindings to wake after a membership change", "targetGroupARN", arn)
			return nil
		}
		var reqs []reconcile.Request
		for i := range list.Items {
			if list.Items[i].Status.TargetGroupARN == arn {
				reqs = append(reqs, reconcile.Request{NamespacedName: bindingKey(&list.Items[i])})
			}
		}
		return reqs
	})
}

// everyBinding maps a TargetGroupPolicy change to every binding: any of
// them may have become allowed or refused. Policies change rarely.
func everyBinding(kube client.Client) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
		return listed(ctx, kube)
	})
}

// watched passes only the namespaces in the cache. A Namespace is
// cluster-scoped, so its watch sees every namespace even when the cache
// holds bindings of a few, and listing bindings in another one fails.
func watched(namespaces []string) predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		return len(namespaces) == 0 || slices.Contains(namespaces, o.GetName())
	})
}

// bindingsInNamespace maps a namespace whose labels changed to its
// bindings, since policies select namespaces by label.
func bindingsInNamespace(kube client.Client) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		return listed(ctx, kube, client.InNamespace(o.GetName()))
	})
}

func listed(ctx context.Context, kube client.Client, opts ...client.ListOption) []reconcile.Request {
	var list v1alpha1.TargetGroupBindingList
	if err := kube.List(ctx, &list, opts...); err != nil {
		log.FromContext(ctx).Error(err, "listing bindings to sync after a tenancy change")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: bindingKey(&list.Items[i])})
	}
	return reqs
}
