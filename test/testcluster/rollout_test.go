package testcluster

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
)

// Endpoint states as a load balancer controller reads them from
// EndpointSlice conditions (KEP-1672).
const (
	stateReady              = "ready"
	stateServingTerminating = "serving/terminating"
	stateTerminating        = "terminating"
	stateNotReady           = "not-ready"
	stateGone               = "gone"
)

func endpointState(ep discoveryv1.Endpoint) string {
	c := ep.Conditions
	switch {
	case ptr.Deref(c.Terminating, false) && ptr.Deref(c.Serving, false):
		return stateServingTerminating
	case ptr.Deref(c.Terminating, false):
		return stateTerminating
	case ptr.Deref(c.Ready, false):
		return stateReady
	default:
		return stateNotReady
	}
}

// endpointRecorder watches a Service's EndpointSlices and records, per pod
// IP, the sequence of distinct states the endpoint goes through. An
// endpoint's state is taken over all slices, since the controller may move
// an endpoint between slices.
type endpointRecorder struct {
	mu      sync.Mutex
	slices  map[types.UID][]discoveryv1.Endpoint
	history map[string][]string
}

func recordEndpoints(t *testing.T, c *Cluster, ns, svc string) *endpointRecorder {
	t.Helper()
	r := &endpointRecorder{slices: map[types.UID][]discoveryv1.Endpoint{}, history: map[string][]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	opts := metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc}
	list, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		r.slices[s.UID] = s.Endpoints
	}
	r.update()
	opts.ResourceVersion = list.ResourceVersion
	w, err := c.Client.DiscoveryV1().EndpointSlices(ns).Watch(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok {
				continue
			}
			r.mu.Lock()
			if ev.Type == watch.Deleted {
				delete(r.slices, s.UID)
			} else {
				r.slices[s.UID] = s.Endpoints
			}
			r.mu.Unlock()
			r.update()
		}
	}()
	t.Cleanup(func() {
		cancel()
		w.Stop()
		<-done
	})
	return r
}

func (r *endpointRecorder) update() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := map[string]string{}
	for _, eps := range r.slices {
		for _, ep := range eps {
			now[ep.Addresses[0]] = endpointState(ep)
		}
	}
	for ip, st := range now {
		if h := r.history[ip]; len(h) == 0 || h[len(h)-1] != st {
			r.history[ip] = append(h, st)
		}
	}
	for ip, h := range r.history {
		if _, present := now[ip]; !present && h[len(h)-1] != stateGone {
			r.history[ip] = append(h, stateGone)
		}
	}
}

func (r *endpointRecorder) snapshot() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for ip, h := range r.history {
		out[ip] = slices.Clone(h)
	}
	return out
}

// inOrder reports whether want appears in h as a subsequence.
func inOrder(h, want []string) bool {
	i := 0
	for _, s := range h {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	return i == len(want)
}

func rolledOut(d *appsv1.Deployment) bool {
	want := ptr.Deref(d.Spec.Replicas, 1)
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want
}

func TestRollingUpdateMovesEndpointsThroughReadyServingTerminatingAndGone(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Services(ns).Create(ctx, webService("web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := webDeployment("web", 3)
	// A preStop sleep keeps old pods serving while they terminate, as a
	// zero-downtime deployment must; it makes the serving/terminating state
	// last long enough to be seen.
	d.Spec.Template.Spec.Containers[0].Lifecycle = preStopSleep(1)
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "3 ready endpoints", func(ctx context.Context) (bool, error) {
		eps, err := readyEndpoints(ctx, c, ns, "web")
		return len(eps) == 3, err
	})
	rec := recordEndpoints(t, c, ns, "web")
	old := map[string]bool{}
	for ip := range rec.snapshot() {
		old[ip] = true
	}

	start := time.Now()
	patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"rollout":"2"}}}}}`)
	if _, err := c.Client.AppsV1().Deployments(ns).Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the rollout to complete and old endpoints to go", func(ctx context.Context) (bool, error) {
		d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || !rolledOut(d) {
			return false, err
		}
		h := rec.snapshot()
		for ip := range old {
			if last := h[ip][len(h[ip])-1]; last != stateGone {
				return false, nil
			}
		}
		return true, nil
	})
	t.Logf("rollout finished and old endpoints gone %s after the update", time.Since(start).Round(time.Millisecond))

	h := rec.snapshot()
	newReady := 0
	for ip, states := range h {
		t.Logf("%s: %s", ip, strings.Join(states, " -> "))
		if old[ip] {
			if want := []string{stateReady, stateServingTerminating, stateGone}; !inOrder(states, want) {
				t.Errorf("old endpoint %s went %v, want %v in that order", ip, states, want)
			}
			continue
		}
		if states[len(states)-1] == stateReady {
			newReady++
		}
	}
	if newReady != 3 {
		t.Errorf("%d new endpoints are ready, want 3", newReady)
	}
}
