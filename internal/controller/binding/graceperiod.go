package binding

import (
	"context"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/drain"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// ReasonGracePeriodTooShort is the Warning Event tgc emits once per workload
// whose pods would exit before their target finishes draining.
const ReasonGracePeriodTooShort = "GracePeriodTooShort"

// ReasonPreStopTooShort is GracePeriodTooShort's sibling: the pod's serving
// container has a preStop of its own that ends before the target has
// drained, so the app gets SIGTERM while the load balancer still sends it
// requests.
const ReasonPreStopTooShort = drain.ReasonPreStopTooShort

// defaultGracePeriod is the API's default terminationGracePeriodSeconds.
const defaultGracePeriod = 30 * time.Second

// graceWarnings remembers, in memory only, which workloads were warned, so
// that each is warned once per controller process (a restart warns again,
// once), and which pods were already checked against which delay, so that a
// sync does not read every pod again.
type graceWarnings struct {
	mu     sync.Mutex
	warned map[workload]bool
	// preStop: workloads warned with PreStopTooShort.
	preStop map[workload]bool
	owners  map[types.UID]workload // ReplicaSet UID -> its Deployment
	checked map[types.NamespacedName]map[types.UID]time.Duration
}

func newGraceWarnings() *graceWarnings {
	return &graceWarnings{
		warned:  map[workload]bool{},
		preStop: map[workload]bool{},
		owners:  map[types.UID]workload{},
		checked: map[types.NamespacedName]map[types.UID]time.Duration{},
	}
}

// workload is what a pod belongs to: its Deployment (through the
// ReplicaSet), else its controller (StatefulSet, DaemonSet, ...), else the
// pod itself.
type workload struct {
	APIVersion, Kind, Namespace, Name string
	UID                               types.UID
}

func (w workload) object() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: w.APIVersion, Kind: w.Kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, Name: w.Name, UID: w.UID},
	}
}

// GracePeriodTooShort reports whether a pod would be killed before its
// target has drained: ELBv2 keeps sending in-flight requests to a draining
// target for the deregistration delay
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-attributes.html#deregistration-delay),
// while the kubelet kills the pod terminationGracePeriodSeconds after its
// deletion, preStop included.
func GracePeriodTooShort(pod *corev1.Pod, delay time.Duration) bool {
	grace := defaultGracePeriod
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	return grace < delay
}

// PreStopTooShort returns the serving container's own preStop when it is
// known to end before the deregistration delay: the kubelet sends SIGTERM
// when the preStop returns, while the load balancer still sends in-flight
// requests for the delay. A preStop of unknown length (an HTTP call, a
// script) is not judged.
func PreStopTooShort(pod *corev1.Pod, sp *corev1.ServicePort, delay time.Duration) (container string, preStop time.Duration, short bool) {
	if sp == nil {
		return "", 0, false
	}
	i, err := drain.ServingContainer(&pod.Spec, *sp)
	if err != nil {
		return "", 0, false
	}
	d, _, known := drain.PreStopDuration(&pod.Spec.Containers[i])
	return pod.Spec.Containers[i].Name, d, known && d < delay
}

// servingPort is the Service port the binding names; nil when the Service
// or the port is missing (the Ready condition says so).
func servingPort(tgb *v1alpha1.TargetGroupBinding, svc *corev1.Service) *corev1.ServicePort {
	if svc == nil {
		return nil
	}
	sp, ok := drain.ServicePort(svc.Spec.Ports, tgb.Spec.ServiceRef.Port)
	if !ok {
		return nil
	}
	return &sp
}

// checkGracePeriods warns, once per workload, when a bound pod's grace
// period is shorter than the target group's deregistration delay, and, once
// per workload too, when its serving container's own preStop is.
func (c *Controller) checkGracePeriods(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, delay time.Duration, pods map[types.UID]targets.PodEndpoint, sp *corev1.ServicePort) {
	key := bindingKey(tgb)
	w := c.grace
	w.mu.Lock()
	prev := w.checked[key]
	w.mu.Unlock()
	next := make(map[types.UID]time.Duration, len(pods))
	for uid, ep := range pods {
		if ep.Terminating {
			continue
		}
		if d, ok := prev[uid]; ok && d == delay {
			next[uid] = d
			continue
		}
		next[uid] = delay
		if delay <= 0 {
			continue
		}
		pod := &corev1.Pod{}
		if err := c.kube.Get(ctx, types.NamespacedName{Namespace: tgb.Namespace, Name: ep.Name}, pod); err != nil || pod.UID != uid {
			delete(next, uid) // not in the cache yet; look again next sync
			continue
		}
		c.checkPreStop(ctx, tgb, pod, sp, delay)
		if !GracePeriodTooShort(pod, delay) {
			continue
		}
		wl := c.workloadOf(ctx, pod)
		if !w.first(w.warned, wl) {
			continue
		}
		grace := defaultGracePeriod
		if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		log.FromContext(ctx).Info("pod grace period is shorter than the deregistration delay", "pod", client.ObjectKeyFromObject(pod),
			"workload", wl.Kind+"/"+wl.Name, "terminationGracePeriod", grace, "deregistrationDelay", delay)
		const note = "%s %s: pods have terminationGracePeriodSeconds=%d but target group %s has a deregistration delay of %ds, so a pod can be killed while the load balancer still sends it in-flight requests. " +
			"Set terminationGracePeriodSeconds >= deregistration delay + a few seconds, with a preStop sleep of at least 10-15s so the pod serves until the load balancer has stopped sending new requests (see docs/zero-downtime.md), or lower deregistration_delay.timeout_seconds"
		c.warnWorkload(tgb, wl, ReasonGracePeriodTooShort, "CheckGracePeriod", note, wl.Kind, wl.Name, int64(grace/time.Second), tgb.Status.TargetGroupARN, int64(delay/time.Second))
	}
	w.mu.Lock()
	w.checked[key] = next
	w.mu.Unlock()
}

// checkPreStop warns once per workload whose serving container has its own
// preStop, shorter than the delay; tgc never changes such a container.
func (c *Controller) checkPreStop(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, pod *corev1.Pod, sp *corev1.ServicePort, delay time.Duration) {
	container, preStop, short := PreStopTooShort(pod, sp, delay)
	if !short {
		return
	}
	wl := c.workloadOf(ctx, pod)
	if !c.grace.first(c.grace.preStop, wl) {
		return
	}
	log.FromContext(ctx).Info("serving container's preStop ends before the target has drained", "pod", client.ObjectKeyFromObject(pod),
		"workload", wl.Kind+"/"+wl.Name, "container", container, "preStop", preStop, "deregistrationDelay", delay)
	const note = "%s %s: container %s has its own preStop of %s, but target group %s has a deregistration delay of %ds, so the app gets SIGTERM while the load balancer may still send it requests. " +
		"Lengthen the preStop to the delay plus the load balancer's propagation time (see docs/zero-downtime.md), or remove it and set spec.drain.inject: true on the binding to have tgc size it"
	c.warnWorkload(tgb, wl, ReasonPreStopTooShort, "CheckPreStop", note, wl.Kind, wl.Name, container, preStop, tgb.Status.TargetGroupARN, int64(delay/time.Second))
}

// first records that wl is warned in set, and reports whether it was not
// before.
func (w *graceWarnings) first(set map[workload]bool, wl workload) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	already := set[wl]
	set[wl] = true
	return !already
}

// warnWorkload puts a Warning Event on the binding, naming the workload,
// and on the workload, naming the binding; a bare pod gets none of its own,
// since it is gone at its next replacement.
func (c *Controller) warnWorkload(tgb *v1alpha1.TargetGroupBinding, wl workload, reason, action, note string, args ...any) {
	c.events.Eventf(tgb, wl.object(), corev1.EventTypeWarning, reason, action, note, args...)
	if wl.Kind != "Pod" {
		c.events.Eventf(wl.object(), tgb, corev1.EventTypeWarning, reason, action, note, args...)
	}
}

// workloadOf names the pod's workload. A ReplicaSet's Deployment is read
// once per ReplicaSet straight from the API server (metadata only), so that
// tgc keeps no ReplicaSet cache for a warning it gives once.
func (c *Controller) workloadOf(ctx context.Context, pod *corev1.Pod) workload {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return workload{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}
	}
	own := workload{APIVersion: ref.APIVersion, Kind: ref.Kind, Namespace: pod.Namespace, Name: ref.Name, UID: ref.UID}
	if ref.Kind != "ReplicaSet" || ref.APIVersion != appsv1.SchemeGroupVersion.String() || c.cfg.APIReader == nil {
		return own
	}
	w := c.grace
	w.mu.Lock()
	cached, ok := w.owners[ref.UID]
	w.mu.Unlock()
	if ok {
		return cached
	}
	rs := &metav1.PartialObjectMetadata{}
	rs.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))
	if err := c.cfg.APIReader.Get(ctx, types.NamespacedName{Namespace: pod.Namespace, Name: ref.Name}, rs); err != nil {
		return own
	}
	if d := metav1.GetControllerOf(rs); d != nil && d.Kind == "Deployment" {
		own = workload{APIVersion: d.APIVersion, Kind: d.Kind, Namespace: pod.Namespace, Name: d.Name, UID: d.UID}
	}
	w.mu.Lock()
	w.owners[ref.UID] = own
	w.mu.Unlock()
	return own
}

// forgetGrace drops a deleted binding's checked pods.
func (c *Controller) forgetGrace(key types.NamespacedName) {
	c.grace.mu.Lock()
	defer c.grace.mu.Unlock()
	delete(c.grace.checked, key)
}
