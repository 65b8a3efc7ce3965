package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Scheduler binds pods that no scheduler takes to the nodes of a cluster of
// several loopback kubelets, which then leave binding to it
// (Config.LeaveBinding): one binder, so that the choice (pickNode) is made
// once per pod. A pod no node can take waits, and is tried again when a
// node changes or a second later.
type Scheduler struct {
	client kubernetes.Interface
	log    logr.Logger
	queue  workqueue.TypedRateLimitingInterface[string]
	pods   corelisters.PodLister
	nodes  corelisters.NodeLister

	mu sync.Mutex
	// assumed are the pods this scheduler bound that its cache has not
	// seen bound yet, so that a burst of pods spreads.
	assumed map[types.UID]*corev1.Pod
}

// NewScheduler returns a scheduler for the cluster client talks to.
func NewScheduler(client kubernetes.Interface, log logr.Logger) *Scheduler {
	return &Scheduler{client: client, log: log.WithName("scheduler"), assumed: map[types.UID]*corev1.Pod{}}
}

// Run binds pods until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	s.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer s.queue.ShutDown()
	factory := informers.NewSharedInformerFactory(s.client, 0)
	pods, nodes := factory.Core().V1().Pods(), factory.Core().V1().Nodes()
	s.pods, s.nodes = pods.Lister(), nodes.Lister()
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			s.queue.Add(key)
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, o any) { enqueue(o) },
	}); err != nil {
		return fmt.Errorf("watching pods: %w", err)
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { s.requeuePending() }, UpdateFunc: func(any, any) { s.requeuePending() },
	}); err != nil {
		return fmt.Errorf("watching nodes: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), pods.Informer().HasSynced, nodes.Informer().HasSynced) {
		return fmt.Errorf("waiting for the scheduler's caches: %w", ctx.Err())
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for s.next(ctx) {
		}
	})
	<-ctx.Done()
	s.queue.ShutDown()
	wg.Wait()
	return nil
}

func (s *Scheduler) requeuePending() {
	pods, err := s.pods.List(labels.Everything())
	if err != nil {
		return
	}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			s.queue.Add(cache.MetaObjectToName(p).String())
		}
	}
}

func (s *Scheduler) next(ctx context.Context) bool {
	key, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(key)
	if err := s.schedule(ctx, key); err != nil {
		if ctx.Err() == nil {
			s.log.Info("Scheduling failed; retrying", "pod", key, "reason", err.Error())
		}
		s.queue.AddRateLimited(key)
		return true
	}
	s.queue.Forget(key)
	return true
}

func (s *Scheduler) schedule(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil || !isDefaultScheduler(pod) || s.isAssumed(pod) {
		return nil
	}
	nodes, err := s.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	node, ok := pickNode(pod, nodes, s.podsByNode())
	if !ok {
		s.log.V(1).Info("No node fits the pod yet", "pod", klog.KObj(pod), "nodes", len(nodes))
		// Nothing fits now; a node change requeues it, and so does this.
		s.queue.AddAfter(key, time.Second)
		return nil
	}
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	err = s.client.CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	switch {
	case apierrors.IsConflict(err), apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("binding pod %s to node %s: %w", klog.KObj(pod), node, err)
	}
	bound := pod.DeepCopy()
	bound.Spec.NodeName = node
	s.mu.Lock()
	s.assumed[pod.UID] = bound
	s.mu.Unlock()
	s.log.V(1).Info("Bound pod", "pod", klog.KObj(pod), "node", node)
	return nil
}

func (s *Scheduler) isAssumed(pod *corev1.Pod) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.assumed[pod.UID]
	return ok
}

// podsByNode counts the pods on each node that have not finished, those
// this scheduler just bound included.
func (s *Scheduler) podsByNode() map[string][]*corev1.Pod {
	pods, _ := s.pods.List(labels.Everything())
	out := map[string][]*corev1.Pod{}
	unbound := map[types.UID]bool{}
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			unbound[p.UID] = true
			continue
		}
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid, p := range s.assumed {
		if !unbound[uid] {
			// The cache has seen it bound, or it is gone.
			delete(s.assumed, uid)
			continue
		}
		out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p)
	}
	return out
}
