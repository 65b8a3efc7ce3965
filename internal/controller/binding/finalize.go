package binding

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// finalize runs when a binding is being deleted. With deletionPolicy Delete
// it deregisters the binding's targets (the owned ones in multi-cluster
// mode, else every target in the group) before letting the binding go; with
// Retain it leaves them. A target group that no longer exists, or an ARN that
// never was one, has nothing to deregister.
func (c *Controller) finalize(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(tgb, v1alpha1.Finalizer) {
		return reconcile.Result{}, nil
	}
	logger := log.FromContext(ctx)
	if tgb.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		logger.Info("binding deleted; leaving its targets registered per deletionPolicy=Retain")
		c.event(tgb, false, "Retained", "Delete", "binding deleted; targets left registered because deletionPolicy is Retain")
		return c.release(ctx, tgb)
	}

	tg, fail := c.resolve(ctx, tgb)
	if fail != nil {
		if fail.reason == v1alpha1.ReasonInvalidARN || errors.Is(fail, elbv2.ErrTargetGroupNotFound) {
			logger.Info("binding deleted; its target group does not exist, nothing to deregister", "reason", fail.reason)
			return c.release(ctx, tgb)
		}
		c.event(tgb, true, fail.reason, "Delete", "cannot deregister targets of the deleted binding: %s. To delete it without deregistering, set deletionPolicy: Retain", fail.message)
		return c.retryDelete(fail)
	}

	if err := c.leave(ctx, tgb, tg.ARN); err != nil {
		f := c.awsFailure(err, tg.ARN)
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
