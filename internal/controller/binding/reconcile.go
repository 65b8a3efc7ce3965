package binding

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get

// Reconcile syncs one binding: fetch, desired, actual, plan, apply, status.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := c.kube.Get(ctx, req.NamespacedName, tgb); err != nil {
		if apierrors.IsNotFound(err) {
			c.metrics.forget(req.Namespace, req.Name)
			c.clearPending(req.NamespacedName)
			c.forgetGrace(req.NamespacedName)
			c.skips.forget(req.NamespacedName)
			c.hcWarnings.forget(req.NamespacedName)
			c.edits.forget(req.NamespacedName)
			c.foreign.forget(req.NamespacedName)
			c.changes.forget(req.NamespacedName)
			c.taken.forget(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("getting TargetGroupBinding %s: %w", req, err)
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("targetGroupBinding", klog.KObj(tgb)))

	if !tgb.DeletionTimestamp.IsZero() {
		return c.finalize(ctx, tgb)
	}
	orig := tgb.DeepCopy()
	res, fail := c.sync(ctx, tgb)
	if err := c.writeStatus(ctx, orig, tgb, res, fail); err != nil {
		return reconcile.Result{}, err
	}
	return c.result(ctx, tgb, res, fail)
}

// result decides when the binding is looked at again.
func (c *Controller) result(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, res syncResult, fail *failure) (reconcile.Result, error) {
	logger := log.FromContext(ctx)
	if fail != nil {
		c.metrics.reconcileErrors.WithLabelValues(fail.reason).Inc()
		if fail.badInput {
			logger.Info("binding cannot be synced until its input is fixed", "reason", fail.reason, "message", fail.message, "retryAfter", c.cfg.BadInputRetry)
			return reconcile.Result{RequeueAfter: c.jittered(c.cfg.BadInputRetry)}, nil
		}
		// Returning the error hands the retry to the workqueue's per-item
		// exponential backoff, capped at MaxBackoff.
		return reconcile.Result{}, fmt.Errorf("syncing %s: %w", klog.KObj(tgb), fail)
	}
	next := c.jittered(c.cfg.DriftInterval)
	if res.unsettled {
		next = min(next, c.cfg.HealthPollInterval)
	}
	if res.deferred > 0 {
		// The booked tokens come due then; a little later so they have.
		next = min(next, res.deferred+5*time.Millisecond)
	}
	if len(res.hold.held) > 0 {
		// Evidence (a pod's deletion, the slice's return) wakes the binding
		// through its slices only when the slices change; an AWS health
		// change that ends the hold wakes nothing.
		next = min(next, c.cfg.HealthPollInterval)
	}
	if res.staleSkips {
		// The Pod cache may catch up with a Pod the EndpointSlice already
		// lists; no Pod event wakes the binding for an ungated Pod.
		next = min(next, c.cfg.HealthPollInterval)
	}
	if len(res.rejected) > 0 || res.emptyRetained {
		next = min(next, c.jittered(c.cfg.BadInputRetry))
	}
	return reconcile.Result{RequeueAfter: next}, nil
}

// event records an Event on the binding. Action is the AWS call or the step
// the Event is about.
func (c *Controller) event(tgb *v1alpha1.TargetGroupBinding, warning bool, reason, action, note string, args ...any) {
	typ := corev1.EventTypeNormal
	if warning {
		typ = corev1.EventTypeWarning
	}
	c.events.Eventf(tgb, nil, typ, reason, action, note, args...)
}

// normalEvent records a Normal Event whose note is already formatted.
func (c *Controller) normalEvent(obj runtime.Object, reason, action, note string) {
	c.events.Eventf(obj, nil, corev1.EventTypeNormal, reason, action, "%s", note)
}
