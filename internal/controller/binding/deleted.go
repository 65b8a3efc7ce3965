package binding

import (
	"context"
	"fmt"
	"sync"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// recentlyDeleted remembers, for ttl, what tgc saw deleted, by key: a
// delete event is evidence for the brake that an object is gone, which the
// object merely missing from the cache is not.
type recentlyDeleted[K comparable] struct {
	ttl time.Duration
	mu  sync.Mutex
	at  map[K]time.Time
}

func newRecentlyDeleted[K comparable](ttl time.Duration) *recentlyDeleted[K] {
	return &recentlyDeleted[K]{ttl: ttl, at: map[K]time.Time{}}
}

func (d *recentlyDeleted[K]) record(now time.Time, keys ...K) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Pruned on every write, so that the map holds at most the deletions
	// of the last TTL, however many objects come and go.
	for k, t := range d.at {
		if now.Sub(t) >= d.ttl {
			delete(d.at, k)
		}
	}
	for _, k := range keys {
		d.at[k] = now
	}
}

func (d *recentlyDeleted[K]) seen(k K, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.at[k]
	return ok && now.Sub(t) < d.ttl
}

// watchDeletes hands every object of obj's kind that the cache sees deleted
// to deleted.
func watchDeletes(ctx context.Context, mgr ctrl.Manager, obj client.Object, deleted func(any)) error {
	inf, err := mgr.GetCache().GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("getting the informer of %T: %w", obj, err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{DeleteFunc: deleted}); err != nil {
		return fmt.Errorf("watching deletions of %T: %w", obj, err)
	}
	return nil
}

// lastState is a deleted object as the informer last knew it. A delete the
// informer missed (its watch broke and the relist no longer lists the
// object) arrives as a DeletedFinalStateUnknown tombstone with that state,
// and counts the same: the object is gone from the API server either way.
func lastState(obj any) any {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}
