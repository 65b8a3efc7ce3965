package kubelet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Kubelet is the loopback kubelet. Create it with New and start it with Run.
type Kubelet struct {
	cfg    Config
	client kubernetes.Interface
	log    logr.Logger
	mapper loopbackMapper
	queue  workqueue.TypedRateLimitingInterface[string]
	lister corelisters.PodLister

	started chan struct{}

	mu      sync.Mutex
	ipam    *ipAllocator
	runners map[string]*podRunner // namespace/name -> runner
	runCtx  context.Context

	// releaseNodeIP gives back the node address claimed in New.
	releaseNodeIP func()
}

// New returns a kubelet for the cluster that client talks to. Nothing
// happens until Run.
func New(client kubernetes.Interface, cfg Config) (*Kubelet, error) {
	cfg, err := cfg.Defaulted()
	if err != nil {
		return nil, fmt.Errorf("configuring loopback kubelet: %w", err)
	}
	mapper, err := cfg.mapper()
	if err != nil {
		return nil, fmt.Errorf("configuring loopback kubelet: %w", err)
	}
	claims, err := newFileClaims(cfg.ClaimDir)
	if err != nil {
		return nil, fmt.Errorf("configuring loopback kubelet: %w", err)
	}
	claim := func(ip netip.Addr) (func(), error) { return claims.Claim(mapper.toLoopback(ip)) }
	releaseNodeIP := func() {}
	if !cfg.NodeIP.IsValid() {
		if cfg.NodeIP, releaseNodeIP, err = claimNodeAddr(cfg.NodeCIDR, claims); err != nil {
			return nil, fmt.Errorf("configuring loopback kubelet: %w", err)
		}
	}
	if cfg.InstanceID == "" {
		cfg.InstanceID = instanceIDOf(cfg.NodeIP)
	}
	cfg.Logger = cfg.Logger.WithValues("node", cfg.NodeName)
	return &Kubelet{
		cfg:           cfg,
		client:        client,
		log:           cfg.Logger,
		mapper:        mapper,
		started:       make(chan struct{}),
		ipam:          newIPAllocator(cfg.PodCIDR, claim),
		runners:       map[string]*podRunner{},
		releaseNodeIP: releaseNodeIP,
	}, nil
}

// NodeName is the Node this kubelet plays.
func (k *Kubelet) NodeName() string { return k.cfg.NodeName }

// NodeIP is the node's address, where its kube-proxy serves NodePorts.
func (k *Kubelet) NodeIP() netip.Addr { return k.cfg.NodeIP }

// InstanceID is the EC2 instance the node plays (its spec.providerID).
func (k *Kubelet) InstanceID() string { return k.cfg.InstanceID }

// Started is closed once the Node is registered and the kubelet watches
// pods: from then on, new pods get bound and run.
func (k *Kubelet) Started() <-chan struct{} { return k.started }

// LoopbackAddr is the loopback address where the pod with podIP serves.
// Anything in a test that dials a pod must dial this address instead of the
// pod IP. It returns the invalid Addr for an IP that is neither in the pod
// CIDR nor loopback.
func (k *Kubelet) LoopbackAddr(podIP netip.Addr) netip.Addr { return k.mapper.toLoopback(podIP) }

// Run registers the Node, announces its instance, then binds and runs pods
// and serves NodePorts until ctx is done. Then it closes every pod's
// servers and its NodePorts, withdraws the instance and returns. Pods are
// left in the API as they are, like a node that went away.
func (k *Kubelet) Run(ctx context.Context) error {
	defer k.releaseNodeIP()
	if err := k.registerNode(ctx); err != nil {
		return err
	}
	if k.cfg.Instances != nil {
		if err := k.cfg.Instances.SetInstance(k.cfg.InstanceID, k.cfg.NodeIP); err != nil {
			return fmt.Errorf("announcing instance %s of node %s: %w", k.cfg.InstanceID, k.cfg.NodeName, err)
		}
		defer k.cfg.Instances.RemoveInstance(k.cfg.InstanceID)
	}
	k.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	factory := informers.NewSharedInformerFactory(k.client, 0)
	var px *proxy
	if !k.cfg.NoProxy {
		px = newProxy(k.cfg, k.mapper, factory)
	}
	podInformer := factory.Core().V1().Pods()
	k.lister = podInformer.Lister()
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    k.enqueue,
		UpdateFunc: func(_, obj any) { k.enqueue(obj) },
		DeleteFunc: k.enqueue,
	}); err != nil {
		return fmt.Errorf("watching pods: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		return fmt.Errorf("waiting for the pod cache of node %s: %w", k.cfg.NodeName, ctx.Err())
	}
	if px != nil {
		if err := px.start(ctx); err != nil {
			return err
		}
		defer px.stop()
	}
	k.mu.Lock()
	k.runCtx = ctx
	k.mu.Unlock()
	if err := k.reserveExistingIPs(); err != nil {
		return err
	}

	var wg sync.WaitGroup
	for range k.cfg.Workers {
		wg.Go(func() {
			for k.processNext(ctx) {
			}
		})
	}
	wg.Go(func() { k.heartbeat(ctx) })
	close(k.started)
	k.log.Info("Loopback kubelet started", "config", k.cfg.String())

	<-ctx.Done()
	k.queue.ShutDown()
	wg.Wait()
	k.mu.Lock()
	runners := k.runners
	k.runners = map[string]*podRunner{}
	k.mu.Unlock()
	for _, r := range runners {
		r.stop()
	}
	k.mu.Lock()
	k.ipam.ReleaseAll()
	k.mu.Unlock()
	k.log.Info("Loopback kubelet stopped")
	return nil
}

// reserveExistingIPs keeps the IPs of pods that already run on this node
// (the kubelet restarted) from being handed to new pods.
func (k *Kubelet) reserveExistingIPs() error {
	pods, err := k.lister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("listing pods: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, pod := range pods {
		if pod.Spec.NodeName != k.cfg.NodeName {
			continue
		}
		if ip, err := netip.ParseAddr(pod.Status.PodIP); err == nil && k.mapper.slot(ip).IsValid() {
			if err := k.ipam.Reserve(k.mapper.slot(ip), string(pod.UID)); err != nil {
				k.log.Info("Pod has an IP that cannot be kept", "pod", klog.KObj(pod), "reason", err.Error())
			}
		}
	}
	return nil
}

func (k *Kubelet) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		k.log.Error(err, "Cannot key pod event")
		return
	}
	k.queue.Add(key)
}

func (k *Kubelet) processNext(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	if err := k.sync(ctx, key); err != nil {
		if ctx.Err() == nil {
			k.log.Error(err, "Syncing pod failed; retrying", "pod", key)
		}
		k.queue.AddRateLimited(key)
		return true
	}
	k.queue.Forget(key)
	return true
}

// sync brings one pod forward: bind it, start it, write its status, and
// finish its deletion.
func (k *Kubelet) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return fmt.Errorf("splitting key %q: %w", key, err)
	}
	pod, err := k.lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		k.forget(key, "")
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading pod %s from cache: %w", key, err)
	}
	switch pod.Spec.NodeName {
	case "":
		if pod.DeletionTimestamp == nil && isDefaultScheduler(pod) && !k.cfg.LeaveBinding {
			return k.bind(ctx, pod)
		}
		return nil
	case k.cfg.NodeName:
	default:
		return nil
	}

	r, err := k.runnerFor(pod)
	if err != nil {
		return err
	}
	if r == nil {
		// A pod that finished before this kubelet (re)started, or one that
		// is being deleted before it ever ran: nothing runs, so nothing
		// needs to drain.
		if pod.DeletionTimestamp != nil {
			return k.deletePod(ctx, pod)
		}
		return nil
	}
	r.observe(pod)
	rt := r.snapshot()
	if err := k.writeStatus(ctx, pod, rt); err != nil {
		return err
	}
	if rt.terminated() {
		return k.deletePod(ctx, pod)
	}
	return nil
}

func isDefaultScheduler(pod *corev1.Pod) bool {
	return pod.Spec.SchedulerName == "" || pod.Spec.SchedulerName == corev1.DefaultSchedulerName
}

// bind assigns the pod to this node through the pods/binding subresource,
// as a scheduler does; there is no scheduler in the test cluster.
func (k *Kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.cfg.NodeName},
	}
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	switch {
	case apierrors.IsConflict(err), apierrors.IsNotFound(err):
		// Bound by someone else, or gone: the next event tells.
		return nil
	case err != nil:
		return fmt.Errorf("binding pod %s to node %s: %w", klog.KObj(pod), k.cfg.NodeName, err)
	}
	k.log.V(1).Info("Bound pod", "pod", klog.KObj(pod))
	return nil
}

// runnerFor returns the pod's runner, starting one for a pod that should
// run. It returns nil for a pod that should not run.
func (k *Kubelet) runnerFor(pod *corev1.Pod) (*podRunner, error) {
	key := cache.MetaObjectToName(pod).String()
	k.mu.Lock()
	r := k.runners[key]
	k.mu.Unlock()
	if r != nil && r.uid == pod.UID {
		return r, nil
	}
	if r != nil {
		// A new pod took the name of one that is gone.
		k.forget(key, r.uid)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil, nil
	}
	if pod.DeletionTimestamp != nil && pod.Status.PodIP == "" {
		return nil, nil
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	if k.runCtx.Err() != nil {
		return nil, k.runCtx.Err()
	}
	ip, err := k.podIP(pod)
	if err != nil {
		return nil, err
	}
	r = newPodRunner(pod, ip, k.mapper.toLoopback(ip), k.cfg.NodeIP, k.cfg, func() { k.queue.Add(key) })
	r.rt.PodIPs = k.cfg.podIPs(k.mapper, ip)
	k.runners[key] = r
	r.start(k.runCtx)
	k.log.V(1).Info("Started pod", "pod", klog.KObj(pod), "podIP", ip)
	return r, nil
}

// podIP keeps the IP a pod already has (the kubelet restarted) or
// allocates a new one; for a pod whose primary address is IPv6, the IPv4
// slot that stands for it. The caller holds k.mu.
func (k *Kubelet) podIP(pod *corev1.Pod) (netip.Addr, error) {
	owner := string(pod.UID)
	if ip, err := netip.ParseAddr(pod.Status.PodIP); err == nil && k.mapper.slot(ip).IsValid() {
		if err := k.ipam.Reserve(k.mapper.slot(ip), owner); err == nil {
			return k.mapper.slot(ip), nil
		}
	}
	ip, err := k.ipam.Allocate(owner)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("allocating an IP for pod %s: %w", klog.KObj(pod), err)
	}
	return ip, nil
}

// forget stops the runner of a pod that is gone from the API and frees its
// IP; only now may another pod get that IP. With uid set, only a runner for
// that UID is forgotten.
func (k *Kubelet) forget(key string, uid types.UID) {
	k.mu.Lock()
	r := k.runners[key]
	if r == nil || (uid != "" && r.uid != uid) {
		k.mu.Unlock()
		return
	}
	delete(k.runners, key)
	k.mu.Unlock()
	r.stop()
	k.mu.Lock()
	k.ipam.Release(r.rt.IP, string(r.uid))
	k.mu.Unlock()
	k.log.V(1).Info("Pod is gone; released its IP", "pod", key, "podIP", r.rt.IP)
}

// writeStatus updates the pod's status if it differs from what the kubelet
// knows. The update carries the resourceVersion it was computed from, so a
// condition someone else wrote meanwhile (a readiness gate) makes it
// conflict instead of being lost; the pod is then read again and Ready
// recomputed from the fresh gates.
func (k *Kubelet) writeStatus(ctx context.Context, pod *corev1.Pod, rt podRuntime) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		want := desiredStatus(pod, rt, k.cfg.Clock.Now())
		if equality.Semantic.DeepEqual(pod.Status, want) {
			return nil
		}
		updated := pod.DeepCopy()
		updated.Status = want
		_, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			fresh, getErr := k.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if getErr != nil {
				return fmt.Errorf("reading pod %s after a conflict: %w", klog.KObj(pod), getErr)
			}
			if fresh.UID != pod.UID {
				return nil
			}
			pod = fresh
			return err
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("updating status of pod %s: %w", klog.KObj(pod), err)
		}
		return nil
	})
}

// deletePod finishes a graceful deletion as the kubelet's status manager
// does: delete with grace period 0, only if the pod is still the one that
// ran (UID precondition), so a new pod with the same name is never touched.
func (k *Kubelet) deletePod(ctx context.Context, pod *corev1.Pod) error {
	zero := int64(0)
	err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting terminated pod %s: %w", klog.KObj(pod), err)
	}
	k.log.V(1).Info("Deleted terminated pod", "pod", klog.KObj(pod))
	return nil
}

// heartbeat refreshes the Node's Ready condition now and then, so that a
// node lifecycle controller, if a test runs one, keeps the node Ready.
func (k *Kubelet) heartbeat(ctx context.Context) {
	t := k.cfg.Clock.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			if err := k.updateNodeStatus(ctx); err != nil && !errors.Is(err, context.Canceled) {
				k.log.Error(err, "Node heartbeat failed")
			}
		}
	}
}
