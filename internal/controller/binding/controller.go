package binding

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// Config tunes the reconciler. Zero fields take the defaults below.
type Config struct {
	// DriftInterval is how often each binding is synced when nothing
	// changes, which is when its target group's drift check comes due
	// (targetgroups.Config). Default 5m, jittered by up to 10%.
	DriftInterval time.Duration
	// HealthPollInterval is how soon a binding whose targets are still
	// changing state (initial, draining, unhealthy) is synced again, so that
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
	// MaxConcurrentReconciles is how many bindings sync at once. Default 4.
	MaxConcurrentReconciles int
	// Gates, when set, lists pods held back only by tgc's readiness gates,
	// whose targets are registered so that the gates can turn True. Nil
	// means no gates.
	Gates GatedPods
	// APIReader reads the ReplicaSet behind a pod, uncached, to name the
	// Deployment in grace period warnings. Nil names the ReplicaSet instead.
	APIReader client.Reader
	// Ledger keeps which targets of a shared (multi-cluster) group each
	// Service's binding registered, beyond the binding's life, so that the
	// binding of a recreated Service adopts them. Nil keeps the record in
	// the binding's status only.
	Ledger Ledger
	// Brake holds the deregistration of healthy targets that leave without
	// evidence; on unless Brake.Disabled.
	Brake BrakeConfig
	// Namespaces are the namespaces the manager's cache holds (the
	// --watch-namespace flag); empty means all. Namespace label changes
	// elsewhere concern no binding tgc can see.
	Namespaces []string
}

// Ledger is the durable record of owned targets (internal/ledger).
type Ledger interface {
	// Owned returns the targets ("ip:port") claimant registered in arn.
	Owned(ctx context.Context, arn, claimant string) ([]string, error)
	// Record makes ts claimant's targets in arn; empty removes the entry.
	Record(ctx context.Context, arn, claimant string, ts []string) error
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
	if c.MaxConcurrentReconciles <= 0 {
		c.MaxConcurrentReconciles = 4
	}
	c.Brake = c.Brake.withDefaults()
	return c
}

// Controller reconciles TargetGroupBindings. Its Planner works out each
// sync's plan; the Controller writes it, and the status and Events.
type Controller struct {
	*Planner

	kube    client.Client
	groups  Views
	events  events.EventRecorder
	metrics *Metrics
	clock   clock.PassiveClock
	cfg     Config

	grace      *graceWarnings
	skips      *skipWarnings
	hcWarnings *healthCheckWarnings
	// edits are, with the Planner's deletions, the brake's evidence that
	// tgc saw happen rather than can read from the cache.
	edits *edits
	// foreign remembers when each binding's group was last changed by
	// another writer.
	foreign *foreignWrites
	// changes sums up each binding's Registered and Deregistered Events.
	changes *changeEvents
	// taken says at which priority the workqueue handed out each binding.
	taken *takenAt

	mu sync.Mutex
	// pendingSince is when tgc first saw a binding needing AWS changes; the
	// fallback start of the endpoint-change latency when slices carry no
	// trigger time.
	pendingSince map[types.NamespacedName]time.Time
}

// New returns a reconciler that syncs target groups through the shared view.
func New(kube client.Client, groups Views, rec events.EventRecorder, m *Metrics, clk clock.PassiveClock, cfg Config) *Controller {
	cfg = cfg.withDefaults()
	c := &Controller{
		Planner:      NewPlanner(kube, groups, clk, PlannerConfig{Gates: cfg.Gates, Ledger: cfg.Ledger, Brake: cfg.Brake, Live: cfg.APIReader}),
		kube:         kube,
		groups:       groups,
		events:       rec,
		metrics:      m,
		clock:        clk,
		cfg:          cfg,
		grace:        newGraceWarnings(),
		skips:        newSkipWarnings(),
		hcWarnings:   newHealthCheckWarnings(),
		edits:        &edits{m: map[types.NamespacedName]editState{}},
		foreign:      newForeignWrites(),
		taken:        newTakenAt(),
		pendingSince: map[types.NamespacedName]time.Time{},
	}
	c.changes = newChangeEvents(clk, c.normalEvent)
	return c
}

// Register adds the controller to the manager: it indexes bindings by
// Service, and watches bindings, Services, EndpointSlices, nodes, target
// groups the shared view found changed outside tgc and, when gates are on,
// pods carrying tgc readiness gates.
//
// controller-runtime starts reconcilers only after every informer cache has
// synced, so no binding is planned against a partial EndpointSlice list; the
// target group side is primed by a DescribeTargetHealth before the first plan.
func (c *Controller) Register(ctx context.Context, mgr ctrl.Manager) error {
	if err := indexByService(ctx, mgr); err != nil {
		return err
	}
	if !c.cfg.Brake.Disabled {
		if err := c.watchPodDeletions(ctx, mgr); err != nil {
			return err
		}
		if err := watchDeletes(ctx, mgr, &corev1.Node{}, c.nodeDeleted); err != nil {
			return err
		}
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("targetgroupbinding").
		For(&v1alpha1.TargetGroupBinding{}, builder.WithPredicates(bindingPredicates())).
		Watches(serviceObject(), bindingsOfService(mgr.GetClient())).
		Watches(sliceObject(), bindingsOfSlice(mgr.GetClient())).
		WatchesRawSource(source.Channel(c.groups.Changes(), bindingsOfGroup(mgr.GetClient()))).
		// Bindings with changes to write go before those only to verify.
		WatchesRawSource(newPendingFirst(mgr.GetClient(), c.Planner)).
		// A policy or a namespace's labels decide which groups a binding
		// may hold; a change takes effect at once, not at the drift check.
		Watches(&v1alpha1.TargetGroupPolicy{}, everyBinding(mgr.GetClient())).
		Watches(&corev1.Namespace{}, bindingsInNamespace(mgr.GetClient()), builder.WithPredicates(predicate.LabelChangedPredicate{}, watched(c.cfg.Namespaces))).
		// Nodes are the targets of instance bindings.
		Watches(&corev1.Node{}, instanceBindings(mgr.GetClient()), builder.WithPredicates(nodeChanged()))
	if c.cfg.Gates != nil {
		// A gated pod's endpoint reads not ready while its gate waits, so
		// the EndpointSlice does not change when its containers become
		// ready; the pod itself says it can now be registered.
		b = b.Watches(&corev1.Pod{}, podgate.EnqueueGatedBindings(), builder.WithPredicates(podgate.GatedPodPredicates()))
	}
	return b.WithOptions(controller.Options{
		MaxConcurrentReconciles: c.cfg.MaxConcurrentReconciles,
		RateLimiter:             c.rateLimiter(),
		// The priority queue, noting at which priority each binding is
		// handed out, so that its sync reads at the matching priority.
		NewQueue: c.taken.newQueue(mgr.GetLogger()),
	}).
		Complete(c)
}

// rateLimiter retries failed syncs from 100ms up to MaxBackoff. The default
// controller-runtime limiter grows to 16 minutes, which is how the peer's
// readiness gates flipped 10-16 minutes late; the overall bucket keeps a
// burst of failing bindings from flooding the queue.
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
