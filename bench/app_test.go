package bench

import (
	"net/netip"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// app creates a Deployment of loopback pods serving HTTP on 8080 with a
// readiness probe, and a Service on port 80 in front of it. The pods carry
// no readiness gate: they take the plain path, registered once their
// endpoint is ready.
func (w *world) app(name string, replicas int32) {
	w.b.Helper()
	a := testcluster.App{Name: name, Replicas: replicas, ServicePortName: "web", ReadinessProbe: true}
	d := a.Deployment()
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(1))
	// One failed probe takes the pod out, as in the integration tests.
	d.Spec.Template.Spec.Containers[0].ReadinessProbe.FailureThreshold = 1
	w.create(d)
	w.create(a.Service())
}

func (w *world) scale(name string, replicas int32) {
	w.b.Helper()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns}}
	patch := client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"replicas":`+strconv.Itoa(int(replicas))+`}}`))
	if err := w.kube.Patch(w.ctx, d, patch); err != nil {
		w.b.Fatalf("scaling %s to %d: %v", name, replicas, err)
	}
}

// readyPods are the app's pods that are Ready and not terminating.
func (w *world) readyPods(name string) []corev1.Pod {
	w.b.Helper()
	var pods corev1.PodList
	if err := w.kube.List(w.ctx, &pods, client.InNamespace(w.ns), client.MatchingLabels{"app": name}); err != nil {
		w.b.Fatalf("listing pods of %s: %v", name, err)
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.PodIP == "" {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out = append(out, p)
			}
		}
	}
	return out
}

// sliceWatch records, for each endpoint address of one Service, when this
// process first saw it ready and when it first saw it stop being ready
// (terminating, not ready, or gone from the slices). tgc's informer gets
// the same watch events from the same API server, so "seen here" is the
// moment the change became visible to the controller, give or take the
// delivery jitter between two watchers.
type sliceWatch struct {
	mu    sync.Mutex
	ready map[string]time.Time // address -> first seen ready in its current life
	gone  map[string]time.Time // address -> first seen leaving, after ready
	// inSlice is the ready addresses each slice held last time.
	inSlice map[string]map[string]bool
	stop    chan struct{}
}

func (w *world) watchSlices(service string) *sliceWatch {
	w.b.Helper()
	sw := &sliceWatch{ready: map[string]time.Time{}, gone: map[string]time.Time{}, inSlice: map[string]map[string]bool{}, stop: make(chan struct{})}
	f := informers.NewSharedInformerFactoryWithOptions(shared.cluster.Client, 0,
		informers.WithNamespace(w.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = discoveryv1.LabelServiceName + "=" + service
		}))
	inf := f.Discovery().V1().EndpointSlices().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { sw.observe(o, false) },
		UpdateFunc: func(_, o any) { sw.observe(o, false) },
		DeleteFunc: func(o any) {
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			sw.observe(o, true)
		},
	})
	if err != nil {
		w.b.Fatalf("watching EndpointSlices of %s: %v", service, err)
	}
	f.Start(sw.stop)
	f.WaitForCacheSync(sw.stop)
	w.b.Cleanup(func() { close(sw.stop); f.Shutdown() })
	return sw
}

func (sw *sliceWatch) observe(o any, deleted bool) {
	now := time.Now()
	s, ok := o.(*discoveryv1.EndpointSlice)
	if !ok {
		return
	}
	key := s.Namespace + "/" + s.Name
	sw.mu.Lock()
	defer sw.mu.Unlock()
	now2 := map[string]bool{}
	if !deleted {
		for _, ep := range s.Endpoints {
			ready := ptr.Deref(ep.Conditions.Ready, false) && !ptr.Deref(ep.Conditions.Terminating, false)
			for _, a := range ep.Addresses {
				if ready {
					now2[a] = true
				}
			}
		}
	}
	for a := range now2 {
		if _, seen := sw.ready[a]; !seen {
			sw.ready[a] = now
			delete(sw.gone, a) // an address handed out again starts a new life
		}
	}
	for a := range sw.inSlice[key] {
		if !now2[a] {
			if _, seen := sw.gone[a]; !seen {
				sw.gone[a] = now
			}
			delete(sw.ready, a)
		}
	}
	sw.inSlice[key] = now2
}

// readySince returns an address first seen ready at or after t, if any.
func (sw *sliceWatch) readySince(t time.Time) (string, time.Time, bool) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for a, at := range sw.ready {
		if !at.Before(t) {
			return a, at, true
		}
	}
	return "", time.Time{}, false
}

// goneAt returns when the address was first seen leaving, if it was.
func (sw *sliceWatch) goneAt(addr string) (time.Time, bool) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	at, ok := sw.gone[addr]
	return at, ok
}

func target(ip string, port uint16) string {
	return netip.AddrPortFrom(netip.MustParseAddr(ip), port).String()
}

// podWatch records when this process first saw each pod IP of an app
// Ready, which is when the kubelet's status write became visible; the
// EndpointSlice controller reacts to that same write.
type podWatch struct {
	mu    sync.Mutex
	ready map[string]time.Time // pod IP -> first seen Ready
}

func (w *world) watchPods(app string) *podWatch {
	w.b.Helper()
	pw := &podWatch{ready: map[string]time.Time{}}
	stop := make(chan struct{})
	f := informers.NewSharedInformerFactoryWithOptions(shared.cluster.Client, 0,
		informers.WithNamespace(w.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "app=" + app }))
	inf := f.Core().V1().Pods().Informer()
	observe := func(o any) {
		now := time.Now()
		p, ok := o.(*corev1.Pod)
		if !ok || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
			return
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				pw.mu.Lock()
				if _, seen := pw.ready[p.Status.PodIP]; !seen {
					pw.ready[p.Status.PodIP] = now
				}
				pw.mu.Unlock()
			}
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    observe,
		UpdateFunc: func(_, o any) { observe(o) },
	})
	if err != nil {
		w.b.Fatalf("watching pods of %s: %v", app, err)
	}
	f.Start(stop)
	f.WaitForCacheSync(stop)
	w.b.Cleanup(func() { close(stop); f.Shutdown() })
	return pw
}

func (pw *podWatch) readyAt(ip string) (time.Time, bool) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	at, ok := pw.ready[ip]
	return at, ok
}
