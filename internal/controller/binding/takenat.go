package binding

import (
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// takenAt remembers the priority at which the workqueue handed out each
// binding, for its sync to read: controller-runtime does not pass it to
// Reconcile. A binding is handed to one worker at a time, so the entry
// its sync reads is the one for the hand-out it runs on.
type takenAt struct {
	mu sync.Mutex
	m  map[reconcile.Request]int
}

func newTakenAt() *takenAt { return &takenAt{m: map[reconcile.Request]int{}} }

func (t *takenAt) set(req reconcile.Request, priority int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[req] = priority
}

// forget drops a deleted binding's entry.
func (t *takenAt) forget(key types.NamespacedName) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, reconcile.Request{NamespacedName: key})
}

// readPriority is how a sync of req reads its group from AWS: Background
// when the binding was handed out at low priority (the informers' initial
// list at a start, a resync, and the requeues of those syncs), which only
// verify the group; Required when something asked for it (a change, or a
// change found at a start), so that its read takes the next Describe token
// instead of waiting behind the verifications.
func (t *takenAt) readPriority(req reconcile.Request) elbv2.Priority {
	if t == nil {
		return elbv2.Required // a controller built without New, in tests
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.m[req]
	delete(t.m, req)
	if ok && p <= handler.LowPriority {
		return elbv2.Background
	}
	return elbv2.Required
}

// recordingQueue is controller-runtime's priority queue, noting the
// priority of each item it hands out.
type recordingQueue struct {
	priorityqueue.PriorityQueue[reconcile.Request]
	taken *takenAt
}

func (q recordingQueue) GetWithPriority() (reconcile.Request, int, bool) {
	req, p, shutdown := q.PriorityQueue.GetWithPriority()
	if !shutdown {
		q.taken.set(req, p)
	}
	return req, p, shutdown
}

// newQueue builds the queue controller-runtime builds by default (its
// priority queue, on by default since v0.23), wrapped to note priorities.
func (t *takenAt) newQueue(log logr.Logger) func(string, workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return func(name string, rl workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
		q := priorityqueue.New(name, func(o *priorityqueue.Opts[reconcile.Request]) {
			o.Log = log.WithValues("controller", name)
			o.RateLimiter = rl
		})
		return recordingQueue{PriorityQueue: q, taken: t}
	}
}
