package binding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// finalize runs when a binding is being deleted. It deregisters only what
// the binding is known to own, from the group it held: the group in its
// status, which tgc writes only once the binding has won it, and, in
// multi-cluster mode, only the targets it recorded as its own. A binding
// that never held a group (refused for a conflict, or never resolved)
// removes nothing: deleting a duplicate made by mistake must not empty the
// group of the binding that holds it.
//
// With deletionPolicy Retain nothing is removed, nor from a paused
// binding, which makes no AWS writes at all. Nor is it when the binding
// goes because the Service that owns it (the Service annotation) was deleted
// and emptyEndpointsPolicy is Retain: a deleted Service is an empty desired
// set, and a binding for the recreated Service adopts the targets.
func (c *Controller) finalize(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(tgb, v1alpha1.Finalizer) {
		return reconcile.Result{}, nil
	}
	logger := log.FromContext(ctx)
	arn := tgb.Status.TargetGroupARN
	switch {
	case arn == "":
		logger.Info("binding deleted; it never held a target group, nothing to deregister")
		return c.release(ctx, tgb)
	case tgb.Spec.Paused:
		logger.Info("paused binding deleted; leaving its targets registered, since a paused binding makes no AWS writes")
		c.event(tgb, true, "Retained", "Delete", "binding deleted while paused; its targets are left registered in %s, since a paused binding makes no AWS writes. To have them deregistered, resume a binding before deleting it", arn)
		return c.release(ctx, tgb)
	case tgb.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain:
		logger.Info("binding deleted; leaving its targets registered per deletionPolicy=Retain")
		c.event(tgb, false, "Retained", "Delete", "binding deleted; targets left registered because deletionPolicy is Retain")
		return c.release(ctx, tgb)
	case tgb.Spec.EmptyEndpointsPolicy != v1alpha1.EmptyEndpointsPolicyDeregister && c.serviceOwnerGone(ctx, tgb):
		logger.Info("binding deleted with its Service; leaving its targets registered per emptyEndpointsPolicy=Retain")
		c.event(tgb, false, "Retained", "Delete", "binding deleted because Service %s was deleted; targets left registered in %s because emptyEndpointsPolicy is Retain. A binding for the recreated Service adopts them",
			tgb.Spec.ServiceRef.Name, arn)
		return c.release(ctx, tgb)
	}

	if err := c.leave(ctx, tgb, arn); err != nil {
		f := c.awsFailure(tgb, err, arn)
		c.event(tgb, true, f.reason, "Delete", "cannot deregister targets of the deleted binding: %s. To delete it without deregistering, set deletionPolicy: Retain", f.message)
		return c.retryDelete(f)
	}
	return c.release(ctx, tgb)
}

func (c *Controller) retryDelete(f *failure) (reconcile.Result, error) {
	c.metrics.reconcileErrors.WithLabelValues(f.reason).Inc()
	if f.badInput {
		return reconcile.Result{RequeueAfter: c.jittered(c.cfg.BadInputRetry)}, nil
	}
	return reconcile.Result{}, fmt.Errorf("deregistering targets of deleted binding: %w", f)
}

// release removes the finalizer, letting the API server delete the binding.
func (c *Controller) release(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (reconcile.Result, error) {
	orig := tgb.DeepCopy()
	controllerutil.RemoveFinalizer(tgb, v1alpha1.Finalizer)
	if err := c.kube.Patch(ctx, tgb, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("removing finalizer from %s/%s: %w", tgb.Namespace, tgb.Name, err))
	}
	c.metrics.forget(tgb.Namespace, tgb.Name)
	c.clearPending(bindingKey(tgb))
	return reconcile.Result{}, nil
}

// serviceOwnerGone reports whether the binding is owned by a Service (the
// Service annotation's bindings are) that is gone or going, which is why
// the garbage collector deletes the binding.
func (c *Controller) serviceOwnerGone(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) bool {
	ref := metav1.GetControllerOf(tgb)
	if ref == nil || ref.Kind != "Service" || ref.APIVersion != "v1" {
		return false
	}
	svc := &corev1.Service{}
	err := c.kube.Get(ctx, types.NamespacedName{Namespace: tgb.Namespace, Name: ref.Name}, svc)
	switch {
	case apierrors.IsNotFound(err):
		return true
	case err != nil:
		return false // cannot tell; the binding's own policies apply
	}
	return svc.UID != ref.UID || !svc.DeletionTimestamp.IsZero()
}

// claim records that the binding has won its target group: the finalizer,
// and, on its first group, status.targetGroupARN, which finalize trusts as
// the group the binding held. Both are written before the first
// RegisterTargets; otherwise a binding deleted between its first write and
// its status write would leave its targets behind. A binding moving from
// another group keeps the old ARN until it has left that group.
func (c *Controller) claim(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string) error {
	if !controllerutil.ContainsFinalizer(tgb, v1alpha1.Finalizer) {
		orig := tgb.DeepCopy()
		controllerutil.AddFinalizer(tgb, v1alpha1.Finalizer)
		if err := c.kube.Patch(ctx, tgb, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
			return fmt.Errorf("adding finalizer to %s/%s: %w", tgb.Namespace, tgb.Name, err)
		}
	}
	if tgb.Status.TargetGroupARN != "" {
		return nil
	}
	orig := tgb.DeepCopy()
	tgb.Status.TargetGroupARN = arn
	if err := c.kube.Status().Patch(ctx, tgb, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("recording the target group of %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	return nil
}
