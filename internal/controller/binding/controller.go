package binding

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// Config tunes the reconciler. Zero fields take the defaults below.
type Config struct {
	// DriftInterval is how often each target group is read back from AWS to
	// find targets changed by hand. Default 5m, jittered by up to 10%.
	DriftInterval time.Duration
	// HealthPollInterval is how often a target group whose targets are still
	// changing state (initial, draining, unhealthy) is read back, so that
	// status counts follow target health. Default 10s.
	HealthPollInterval time.Duration
	// BadInputRetry is how long a binding with bad input (missing Service,
	// target group or permission) waits before it is tried again; a change to
	// the binding, Service or EndpointSlices retries at once. Default 2m.
	BadInputRetry time.Duration
	// MaxBackoff caps the exponential backoff after AWS errors and throttling.
	// Default 30s, so a binding catches up soon after a throttling storm.
	MaxBackoff time.Duration
	// MaxWriteWait is how long a sync waits for a Register or Deregister
	// rate-limit token before it defers the write and frees its worker for
	// other bindings. Default 250ms, one token at AWS's 4/s.
	MaxWriteWait time.Duration
	// BatchSize is the most targets per Register/Deregister call. Default 200.
	BatchSize int
	// MaxConcurrentReconciles is how many bindings sync at once. Default 4.
	MaxConcurrentReconciles int
	// Gates, when set, lists pods held back only by tgc's readiness gates
	// (issue 5). Nil means no gates.
	Gates GatedPods
	// APIReader reads the ReplicaSet behind a pod, uncached, to name the
	// Deployment in grace period warnings. Nil names the ReplicaSet instead.
	APIReader client.Reader
}

// GatedPods reports the pods of a binding that are not Ready only because of
// tgc's own readiness gate, so that their targets can be registered.
type GatedPods interface {
	GatedPods(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (map[types.UID]bool, error)
}

func (c Config) withDefaults() Config {
	if c.DriftInterval <= 0 {
		c.DriftInterval = 5 * time.Minute
	}
	if c.HealthPollInterval <= 0 {
		c.HealthPollInterval = 10 * time.Second
	}
	if c.BadInputRetry <= 0 {
		c.BadInputRetry = 2 * time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.MaxWriteWait <= 0 {
		c.MaxWriteWait = 250 * time.Millisecond
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 200
	}
	if c.MaxConcurrentReconciles <= 0 {
		c.MaxConcurrentReconciles = 4
	}
	return c
}

// Controller reconciles TargetGroupBindings.
type Controller struct {
	kube    client.Client
	aws     elbv2.TargetGroups
	events  events.EventRecorder
	metrics *Metrics
	clock   clock.PassiveClock
	cfg     Config

	groups  *groups
	catalog *catalog
	grace   *graceWarnings
	// wake carries bindings to sync now, outside the watches: those whose
	// target group a readiness gate poll found changed.
	wake chan event.GenericEvent

	mu sync.Mutex
	// pendingSince is when tgc first saw a binding needing AWS changes; the
	// fallback start of the endpoint-change latency when slices carry no
	// trigger time.
	pendingSince map[types.NamespacedName]time.Time
}

// New returns a reconciler that manages target groups through aws.
func New(kube client.Client, aws elbv2.TargetGroups, rec events.EventRecorder, m *Metrics, clk clock.PassiveClock, cfg Config) *Controller {
	return &Controller{
		kube:         kube,
		aws:          aws,
		events:       rec,
		metrics:      m,
		clock:        clk,
		cfg:          cfg.withDefaults(),
		groups:       newGroups(),
		catalog:      newCatalog(aws),
		grace:        newGraceWarnings(),
		wake:         make(chan event.GenericEvent, 1024),
		pendingSince: map[types.NamespacedName]time.Time{},
	}
}

// Register adds the controller to the manager: it indexes bindings by
// Service, and watches bindings, Services, EndpointSlices and, when gates are
// on, pods carrying tgc readiness gates.
//
// controller-runtime starts reconcilers only after every informer cache has
// synced, so no binding is planned against a partial EndpointSlice list; the
// target group side is primed by a DescribeTargetHealth before the first plan.
func (c *Controller) Register(ctx context.Context, mgr ctrl.Manager) error {
	if err := indexByService(ctx, mgr); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("targetgroupbinding").
		For(&v1alpha1.TargetGroupBinding{}, builder.WithPredicates(bindingPredicates())).
		Watches(serviceObject(), bindingsOfService(mgr.GetClient())).
		Watches(sliceObject(), bindingsOfSlice(mgr.GetClient())).
		WatchesRawSource(source.Channel(c.wake, &handler.EnqueueRequestForObject{}))
	if c.cfg.Gates != nil {
		b = b.Watches(podObject(), bindingsOfGatedPod(), builder.WithPredicates(gatedPodPredicates()))
	}
	return b.WithOptions(controller.Options{
		MaxConcurrentReconciles: c.cfg.MaxConcurrentReconciles,
		RateLimiter:             c.rateLimiter(),
	}).
		Complete(c)
}

// rateLimiter retries failed syncs from 100ms up to MaxBackoff. The default
// controller-runtime limiter grows to 16 minutes, which is how the peer's
// gates flipped 10-16 minutes late (issue 5); the overall bucket keeps a burst
// of failing bindings from flooding the queue.
func (c *Controller) rateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](100*time.Millisecond, c.cfg.MaxBackoff),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(50), 300)},
	)
}

func (c *Controller) jittered(d time.Duration) time.Duration {
	return jitter(d, rand.Float64())
}

func (c *Controller) markPending(key types.NamespacedName, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.pendingSince[key]; ok {
		return t
	}
	c.pendingSince[key] = now
	return now
}

func (c *Controller) clearPending(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pendingSince, key)
}

func bindingKey(tgb *v1alpha1.TargetGroupBinding) types.NamespacedName {
	return types.NamespacedName{Namespace: tgb.Namespace, Name: tgb.Name}
}
