package kubectltgc

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// TestRemovePeerBindingNeverLetsThePeerSeeItsBindingBeingDeleted: the peer
// puts its finalizer back right after migrate took it off, as it does at
// the top of every reconcile. The delete must then fail and be tried again,
// so the binding is never left with a deletion timestamp and the finalizer,
// which would make the peer deregister every target. Without the delete's
// resourceVersion precondition this test fails: the binding stays, being
// deleted, with the peer's finalizer.
func TestRemovePeerBindingNeverLetsThePeerSeeItsBindingBeingDeleted(t *testing.T) {
	ctx := context.Background()
	u := peerTGB(map[string]any{"targetGroupARN": "arn", "serviceRef": map[string]any{"name": "web", "port": int64(80)}})
	u.SetFinalizers([]string{PeerFinalizer})
	key := types.NamespacedName{Namespace: u.GetNamespace(), Name: u.GetName()}
	readds := 0
	base := fake.NewClientBuilder().WithScheme(runtime.NewScheme()).WithObjects(u).Build()
	kube := interceptor.NewClient(base, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := c.Patch(ctx, obj, patch, opts...); err != nil {
				return err
			}
			if readds < 2 { // the peer reconciles in between, twice
				readds++
				cur := &unstructured.Unstructured{}
				cur.SetGroupVersionKind(peerBindingGVK)
				if err := c.Get(ctx, key, cur); err != nil {
					return err
				}
				controllerutil.AddFinalizer(cur, PeerFinalizer)
				return c.Update(ctx, cur)
			}
			return nil
		},
	})
	if err := removePeerBinding(ctx, kube, key, time.Minute); err != nil {
		t.Fatalf("removePeerBinding: %v", err)
	}
	left := &unstructured.Unstructured{}
	left.SetGroupVersionKind(peerBindingGVK)
	err := base.Get(ctx, key, left)
	if !apierrors.IsNotFound(err) {
		t.Fatalf("the peer's binding is still there (deletion %v, finalizers %v, err %v): the peer would run its cleanup", left.GetDeletionTimestamp(), left.GetFinalizers(), err)
	}
	if readds != 2 {
		t.Errorf("the peer re-added its finalizer %d times, want 2: the race was not exercised", readds)
	}
}
