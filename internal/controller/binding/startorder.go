package binding

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// pendingFirst orders the work of a start. The informers' initial lists
// enqueue every binding at low priority, and each of those syncs reads its
// group once (at AWS's Describe pace: about 20 s for 1,000 groups). A
// binding whose endpoints changed while no tgc was leading looks like the
// others to the queue, and would wait for its turn. Once the caches have
// synced, pendingFirst finds, from the cache alone, the bindings whose
// desired targets differ from their status.checkpoint and enqueues them
// again at a higher priority (startPriority), which the priority queue
// applies to an item already queued at low priority. Their syncs still read the group before
// writing; only the order changes.
//
// It is a manager runnable that needs leadership, so a new leader after a
// failover runs it too.
type pendingFirst struct {
	kube    client.Reader
	planner *Planner
	out     chan event.TypedGenericEvent[reconcile.Request]
}

func newPendingFirst(kube client.Reader, p *Planner) *pendingFirst {
	return &pendingFirst{kube: kube, planner: p, out: make(chan event.TypedGenericEvent[reconcile.Request])}
}

// Start reads the cache, which blocks until each informer it reads has
// synced, and hands the bindings with changes to the controller's source.
func (s *pendingFirst) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("start-order")
	start := time.Now()
	var list v1alpha1.TargetGroupBindingList
	if err := s.kube.List(ctx, &list); err != nil {
		return fmt.Errorf("listing bindings to order the start: %w", err)
	}
	var pending []reconcile.Request
	for i := range list.Items {
		tgb := &list.Items[i]
		if changedWhileAway(tgb, s.planner.desiredFromCache(ctx, tgb)) {
			pending = append(pending, reconcile.Request{NamespacedName: bindingKey(tgb)})
		}
	}
	logger.Info("bindings with changes to write go first", "pending", len(pending), "bindings", len(list.Items), "took", time.Since(start))
	for _, req := range pending {
		select {
		case s.out <- event.TypedGenericEvent[reconcile.Request]{Object: req}:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// startPriority ranks the bindings found changed at a start between the
// verification (the initial lists' handler.LowPriority) and changes that
// arrive live (0): a start after a long outage may find many, and they
// must not hold up a change made meanwhile.
const startPriority = handler.LowPriority / 2

// enqueue is the handler of the source s feeds. A priority already higher
// stays: the priority queue only ever raises an item's.
func (s *pendingFirst) enqueue() handler.TypedEventHandler[reconcile.Request, reconcile.Request] {
	return handler.TypedFuncs[reconcile.Request, reconcile.Request]{
		GenericFunc: func(_ context.Context, e event.TypedGenericEvent[reconcile.Request], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
				pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(startPriority)}, e.Object)
				return
			}
			q.Add(e.Object)
		},
	}
}
