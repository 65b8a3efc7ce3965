package readinessgate

import (
	"context"
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
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// HealthSource is the part of the shared target-group view
// (*targetgroups.View) the gates read.
type HealthSource interface {
	// FreshHealth returns the group's targets as read from AWS at most
	// maxAge ago, reading them again when the cache is older.
	FreshHealth(ctx context.Context, arn string, maxAge time.Duration) ([]targets.Health, time.Time, error)
	// Health returns the cached view without calling AWS; false when the
	// group was never read.
	Health(arn string) ([]targets.Health, time.Time, bool)
	// Lookup returns the group as last read, for its IP address type.
	Lookup(ctx context.Context, arn, name string) (elbv2.TargetGroup, error)
}

// Config tunes the controller. Zero fields take the defaults.
type Config struct {
	// PollInterval is how often the target group of a binding with pending
	// gates is read, and so the most a healthy target waits for its gate.
	// Default 1s: one DescribeTargetHealth per group per second is 2% of
	// the 50/s Describe budget the AWS docs give per account and region.
	PollInterval time.Duration
	// Timeout is how long a gate may wait (from the pod's containers being
	// ready) before tgc warns with an Event and the stuck metric. Default 5m.
	Timeout time.Duration
	// MaxConcurrentReconciles defaults to 2.
	MaxConcurrentReconciles int
	// HealthFor, when set, is the view of a binding's identity (its
	// spec.iamRoleArnToAssume and external ID), so that a binding of a
	// group in another account reads it with that account's credentials.
	// Nil reads every binding through the controller's HealthSource.
	HealthFor func(id elbv2.Identity) (HealthSource, error)
}

func (c Config) withDefaults() Config {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.MaxConcurrentReconciles <= 0 {
		c.MaxConcurrentReconciles = 2
	}
	return c
}

// Controller sets tgc's readiness gate conditions on pods. It reconciles
// bindings: one reconcile decides every gated pod of a binding from one
// read of the target group.
type Controller struct {
	kube    client.Client
	health  HealthSource
	events  events.EventRecorder
	metrics *Metrics
	clock   clock.PassiveClock
	cfg     Config

	mu sync.Mutex
	// pods remembers, per binding and in memory only, which pods were
	// already warned about a stuck gate and which gates were True before,
	// so that each is warned and measured once per controller process.
	pods map[types.NamespacedName]map[types.UID]*podMemo
}

type podMemo struct {
	warned  bool
	wasTrue bool
}

// New returns the controller.
func New(kube client.Client, health HealthSource, rec events.EventRecorder, m *Metrics, clk clock.PassiveClock, cfg Config) *Controller {
	return &Controller{
		kube:    kube,
		health:  health,
		events:  rec,
		metrics: m,
		clock:   clk,
		cfg:     cfg.withDefaults(),
		pods:    map[types.NamespacedName]map[types.UID]*podMemo{},
	}
}

// Register adds the controller to the manager. podgate.PodGateIndex must be
// registered (podgate.IndexPods). It watches bindings (creation, deletion, target
// group resolved) and pods carrying tgc gates.
func (c *Controller) Register(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("readinessgate").
		For(&v1alpha1.TargetGroupBinding{}, builder.WithPredicates(bindingPredicates())).
		Watches(podObject(), podgate.EnqueueGatedBindings(), builder.WithPredicates(podgate.GatedPodPredicates())).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: c.cfg.MaxConcurrentReconciles,
			RateLimiter:             rateLimiter(),
		}).
		Complete(c)
}

// rateLimiter retries failed reconciles (API errors) from 100ms to 5s.
// Waiting for health is never an error: it requeues at PollInterval.
func rateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](100*time.Millisecond, 5*time.Second),
		&workqueue.TypedBucketRateLimiter[reconcile.Request]{Limiter: rate.NewLimiter(rate.Limit(50), 300)},
	)
}

// memo returns the binding's memory of its pods, keeping only those in
// keep, so that deleted pods are forgotten.
func (c *Controller) memo(key types.NamespacedName, keep map[types.UID]bool) map[types.UID]*podMemo {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.pods[key]
	next := make(map[types.UID]*podMemo, len(keep))
	for uid := range keep {
		if m, ok := old[uid]; ok {
			next[uid] = m
		} else {
			next[uid] = &podMemo{}
		}
	}
	c.pods[key] = next
	return next
}

func (c *Controller) forget(key types.NamespacedName) {
	c.mu.Lock()
	delete(c.pods, key)
	c.mu.Unlock()
	c.metrics.forget(key.Namespace, key.Name)
}
