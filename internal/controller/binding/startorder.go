package binding

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// pendingFirst orders the work of a start. The informers' initial lists
// enqueue every binding at low priority, and each of those syncs reads its
// group once (at AWS's Describe pace: about 20 s for 1,000 groups). A
// binding whose endpoints changed while no tgc was leading looks like the
// others to the queue, and would wait for its turn. pendingFirst finds, from
// the cache alone, the bindings whose desired targets differ from their
// status.checkpoint and enqueues them at a higher priority (startPriority),
// which the priority queue applies to an item already queued at low
// priority. Their syncs still read the group before writing; only the order
// changes.
//
// It is a syncing source of the controller: controller-runtime starts the
// workers only once every source's WaitForSync has returned, so the order
// is in the queue before the first verification takes a worker (as a
// runnable beside the controller it raced the workers, and lost under
// load). Sources start when the controller does, after leadership is won,
// so a new leader after a failover orders its start too.
type pendingFirst struct {
	kube    client.Reader
	planner *Planner
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
}

func newPendingFirst(kube client.Reader, p *Planner) *pendingFirst {
	return &pendingFirst{kube: kube, planner: p}
}

// Start only keeps the queue: a source's Start must not block.
func (s *pendingFirst) Start(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	s.queue = q
	return nil
}

// WaitForSync reads the cache, which blocks until each informer it reads
// has synced, and enqueues the bindings with changes. A failure is logged
// and not returned: without the order every binding is still synced, only
// later, and a controller that cannot start would sync none.
func (s *pendingFirst) WaitForSync(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("start-order")
	start := time.Now()
	var list v1alpha1.TargetGroupBindingList
	if err := s.kube.List(ctx, &list); err != nil {
		if ctx.Err() == nil {
			logger.Error(fmt.Errorf("listing bindings to order the start: %w", err), "bindings with changes are synced in the initial lists' order")
		}
		return nil
	}
	pending := 0
	for i := range list.Items {
		tgb := &list.Items[i]
		if changedWhileAway(tgb, s.planner.desiredFromCache(ctx, tgb)) {
			s.add(reconcile.Request{NamespacedName: bindingKey(tgb)})
			pending++
		}
	}
	logger.Info("bindings with changes to write go first", "pending", pending, "bindings", len(list.Items), "took", time.Since(start))
	return nil
}

func (s *pendingFirst) String() string { return "start order: bindings changed while away" }

// add enqueues req at startPriority. A priority already higher stays: the
// priority queue only ever raises an item's.
func (s *pendingFirst) add(req reconcile.Request) {
	if pq, ok := s.queue.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(startPriority)}, req)
		return
	}
	s.queue.Add(req)
}

// startPriority ranks the bindings found changed at a start between the
// verification (the initial lists' handler.LowPriority) and changes that
// arrive live (0): a start after a long outage may find many, and they
// must not hold up a change made meanwhile.
const startPriority = handler.LowPriority / 2
