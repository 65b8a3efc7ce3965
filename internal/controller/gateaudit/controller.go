// Package gateaudit finds pods admitted without the readiness gates they
// should carry. The readiness-gate webhook's failurePolicy is Ignore, so
// that a tgc outage never blocks pod creation; the price is that a pod
// created while the webhook was down takes traffic without waiting for its
// target to be healthy. This controller makes that lost guarantee visible:
// a Warning Event on the pod and a metric, once per pod.
package gateaudit

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/gateinjector"
)

// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// ReasonGateMissing is the Warning Event on a pod admitted without its gate.
const ReasonGateMissing = "ReadinessGateMissing"

// Controller checks each new pod once.
type Controller struct {
	kube client.Client
	// api reads a new pod uncached: the informer cache keeps no labels or
	// annotations of pods that carry no tgc gate (internal/manager's cache
	// transform), and those are what decide which gates it should carry.
	api     client.Reader
	events  events.EventRecorder
	missing *prometheus.CounterVec
}

// Metrics is the controller's one series.
type Metrics struct {
	missing *prometheus.CounterVec
}

// NewMetrics creates the metric and registers it with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	missing := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tgc_pods_missing_readiness_gate_total",
		Help: "Pods admitted without the tgc readiness gates the injection webhook should have added (it did not run: failurePolicy Ignore while it was down). Such a pod takes traffic before its target is healthy.",
	}, []string{"namespace"})
	if err := reg.Register(missing); err != nil {
		return nil, fmt.Errorf("registering the missing-gate metric: %w", err)
	}
	return &Metrics{missing: missing}, nil
}

// New returns the controller.
func New(kube client.Client, api client.Reader, rec events.EventRecorder, m *Metrics) *Controller {
	return &Controller{kube: kube, api: api, events: rec, missing: m.missing}
}

// Register watches pod creation only: a pod's readiness gates cannot change
// after it is created, so one look per pod is all there is to see.
func (c *Controller) Register(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("gateaudit").
		For(&corev1.Pod{}, builder.WithPredicates(predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return true },
			UpdateFunc:  func(event.UpdateEvent) bool { return false },
			DeleteFunc:  func(event.DeleteEvent) bool { return false },
			GenericFunc: func(event.GenericEvent) bool { return false },
		})).
		Complete(c)
}

// Reconcile reports a pod that lacks gates the webhook would have added.
// After a restart every pod is seen again, so a pod is reported at most once
// per controller process.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ns := &corev1.Namespace{}
	if err := c.kube.Get(ctx, types.NamespacedName{Name: req.Namespace}, ns); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("getting namespace %s: %w", req.Namespace, err))
	}
	if ns.Labels[v1alpha1.ReadinessGateInjectLabel] != v1alpha1.ReadinessGateInjectEnabled {
		return reconcile.Result{}, nil // not asked for gates: nothing can be missing
	}
	pod := &corev1.Pod{}
	if err := c.api.Get(ctx, req.NamespacedName, pod); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("getting pod %s: %w", req, err)
	}
	if pod.DeletionTimestamp != nil {
		return reconcile.Result{}, nil
	}
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return reconcile.Result{}, nil // static pods never get gates
	}
	missing, err := gateinjector.Missing(ctx, c.kube, pod)
	if err != nil {
		return reconcile.Result{}, fmt.Errorf("checking the readiness gates of pod %s: %w", req, err)
	}
	if len(missing) == 0 {
		return reconcile.Result{}, nil
	}
	names := make([]string, 0, len(missing))
	for _, g := range missing {
		names = append(names, string(g.ConditionType))
	}
	c.missing.WithLabelValues(pod.Namespace).Inc()
	log.FromContext(ctx).Info("pod admitted without its readiness gates; the injection webhook did not run for it", "pod", klog.KObj(pod), "missing", names)
	c.events.Eventf(pod, nil, corev1.EventTypeWarning, ReasonGateMissing, "CheckReadinessGates",
		"pod was admitted without the readiness gates %s: tgc's injection webhook did not run for it (it was down or unreachable, and its failurePolicy is Ignore so that pods are never blocked). The pod may take traffic before its target is healthy in the load balancer. Recreate it (kubectl rollout restart) once the webhook is up",
		strings.Join(names, ", "))
	return reconcile.Result{}, nil
}
