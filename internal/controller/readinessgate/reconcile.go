package readinessgate

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// ReasonGateTimeout is the Warning Event on a pod (and its binding) whose
// gate waited longer than Config.Timeout.
const ReasonGateTimeout = "ReadinessGateTimeout"

// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile decides the gates of every pod of one binding.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := c.kube.Get(ctx, req.NamespacedName, tgb); err != nil {
		if apierrors.IsNotFound(err) {
			c.forget(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("getting TargetGroupBinding %s: %w", req, err)
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("targetGroupBinding", klog.KObj(tgb)))
	if tgb.Spec.Paused {
		// A paused binding's gates stay as they are. A new pod's target is
		// never registered, so its gate could only wait; and a True gate
		// must not turn False because a target left the group by hand
		// during the pause, which would take the pod out of its Service
		// too. Resuming changes the generation, which brings the binding
		// back here.
		log.FromContext(ctx).V(1).Info("binding paused; leaving its readiness gates as they are")
		return reconcile.Result{}, nil
	}
	// A binding answers for its own gate, and a binding migrated from the
	// peer also for the peer's gate of the binding it replaced.
	var pods []gateOfPod
	for _, gate := range podgate.GatesOf(tgb) {
		ps, err := podgate.PodsWithGate(ctx, c.kube, tgb.Namespace, gate)
		if err != nil {
			return reconcile.Result{}, err
		}
		for i := range ps {
			pods = append(pods, gateOfPod{pod: &ps[i], gate: gate})
		}
	}
	if len(pods) == 0 {
		c.forget(req.NamespacedName)
		return reconcile.Result{}, nil
	}

	// An instance binding's pods have no targets of their own: nothing to
	// map them to, nothing to read from AWS.
	instance := tgb.Spec.TargetType == v1alpha1.TargetTypeInstance
	var endpoints map[types.UID]targets.PodEndpoint
	var health map[targets.Key]targets.Health
	if !instance {
		var err error
		if endpoints, err = c.podEndpoints(ctx, tgb); err != nil {
			// The pods can still be judged as "no endpoint yet"; try
			// again at the poll interval rather than with error backoff.
			log.FromContext(ctx).Info("cannot map pods to targets yet", "error", err.Error())
		}
		health = c.readHealth(ctx, tgb, needsPoll(pods))
	}

	now := c.clock.Now()
	policy := PolicyOf(tgb, c.cfg.Timeout)
	keep := make(map[types.UID]bool, len(pods))
	for _, g := range pods {
		keep[g.memoKey(tgb.Name)] = true
	}
	memo := c.memo(req.NamespacedName, keep)
	var pending, stuck int
	var errs []error
	for _, g := range pods {
		pod := g.pod
		obs := Observation{Pod: pod, Binding: g.gate, ARN: tgb.Status.TargetGroupARN, Health: health, Instance: instance}
		if ep, ok := endpoints[pod.UID]; ok {
			obs.Endpoint = &ep
		}
		v := Decide(obs)
		// Each binding applies its own policy, so bindings of one target
		// group with different policies each get theirs.
		waited := now.Sub(pendingSince(pod))
		overdue := policy.Overdue(v, waited)
		v = ApplyTimeout(v, pod, g.gate, policy, waited)
		m := memo[g.memoKey(tgb.Name)]
		if v.Set != nil {
			if v.Set.LastTransitionTime.IsZero() {
				v.Set.LastTransitionTime = metav1.NewTime(now)
			}
			replaced, err := SetCondition(ctx, c.kube, pod, *v.Set)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if replaced {
				continue
			}
			log.FromContext(ctx).V(1).Info("set readiness gate", "pod", klog.KObj(pod), "status", v.Set.Status, "reason", v.Set.Reason, "message", v.Set.Message)
			switch v.Set.Reason {
			case ReasonInstanceTarget:
				c.noteInstanceGate(ctx, tgb, pod)
			case ReasonGateTimedOut:
				c.noteTimedOut(ctx, tgb, pod, policy, waited)
			}
			// A gate released by its timeout says nothing about how fast
			// targets turn healthy, so it stays out of the histogram.
			if v.Ready && !m.wasTrue && v.Set.Reason != ReasonGateTimedOut {
				c.metrics.readySeconds.Observe(now.Sub(pod.CreationTimestamp.Time).Seconds())
				log.FromContext(ctx).Info("readiness gate is True", "pod", klog.KObj(pod), "sinceCreation", now.Sub(pod.CreationTimestamp.Time).Round(time.Millisecond), "reason", v.Set.Reason)
			}
		}
		m.wasTrue = v.Ready
		if !v.Pending {
			m.warned = false
			continue
		}
		pending++
		if !overdue {
			continue
		}
		stuck++
		if !m.warned {
			m.warned = true
			c.warnStuck(ctx, tgb, pod, g.gate, waited, policy.Timeout)
		}
	}
	c.metrics.pending.WithLabelValues(tgb.Namespace, tgb.Name).Set(float64(pending))
	c.metrics.stuck.WithLabelValues(tgb.Namespace, tgb.Name).Set(float64(stuck))
	if err := errors.Join(errs...); err != nil {
		return reconcile.Result{}, err
	}
	if pending > 0 {
		return reconcile.Result{RequeueAfter: c.cfg.PollInterval}, nil
	}
	return reconcile.Result{}, nil
}

// gateOfPod is a pod and one gate of it that the binding answers for.
type gateOfPod struct {
	pod  *corev1.Pod
	gate string
}

// memoKey keys the pod's memo: its UID for the binding's own gate, so a
// pod's memo survives the binding's migration annotation, and UID/gate for
// a peer's gate.
func (g gateOfPod) memoKey(binding string) types.UID {
	if g.gate == binding {
		return g.pod.UID
	}
	return types.UID(string(g.pod.UID) + "/" + g.gate)
}

// needsPoll reports whether some pod waits for its target's health, which
// is when reading AWS can move a gate forward.
func needsPoll(pods []gateOfPod) bool {
	for _, g := range pods {
		if !podgate.Registrable(g.pod, g.gate) {
			continue
		}
		if c := podgate.GateCondition(g.pod, g.gate); c == nil || c.Status != corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// readHealth returns the group's targets by key. With pending gates it
// reads AWS when the shared view is older than nine tenths of the interval
// (so this binding's own requeue always finds it due, while other bindings
// of the same group reuse the read); otherwise it takes the cached view,
// which is enough to notice a True gate's target leaving the group.
func (c *Controller) readHealth(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, poll bool) map[targets.Key]targets.Health {
	arn := tgb.Status.TargetGroupARN
	if arn == "" {
		return nil
	}
	source, err := c.source(tgb)
	if err != nil {
		log.FromContext(ctx).Info("cannot read target health with the binding's role; gates wait", "targetGroupARN", arn, "role", tgb.Spec.IAMRoleArnToAssume, "error", err.Error())
		return nil
	}
	var hs []targets.Health
	if poll {
		hs, _, err = source.FreshHealth(ctx, arn, c.cfg.PollInterval*9/10)
		if err != nil {
			log.FromContext(ctx).Info("cannot read target health; gates wait for the next poll", "targetGroupARN", arn, "error", err.Error())
		}
	}
	if hs == nil {
		cached, _, ok := source.Health(arn)
		if !ok {
			return nil
		}
		hs = cached
	}
	out := make(map[targets.Key]targets.Health, len(hs))
	for _, h := range hs {
		out[h.Target.Key()] = h
	}
	return out
}

// podEndpoints maps the binding's pods to their targets the way the binding
// controller resolves them (targets.Desired): the Service port, the port
// each EndpointSlice carries for it, and the endpoint's address.
func (c *Controller) podEndpoints(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (map[types.UID]targets.PodEndpoint, error) {
	svc := &corev1.Service{}
	if err := c.kube.Get(ctx, types.NamespacedName{Namespace: tgb.Namespace, Name: tgb.Spec.ServiceRef.Name}, svc); err != nil {
		return nil, fmt.Errorf("getting Service %s/%s: %w", tgb.Namespace, tgb.Spec.ServiceRef.Name, err)
	}
	var slices discoveryv1.EndpointSliceList
	if err := c.kube.List(ctx, &slices, client.InNamespace(tgb.Namespace), client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name}); err != nil {
		return nil, fmt.Errorf("listing EndpointSlices of %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	res, err := targets.Desired(targets.DesiredInput{Slices: slices.Items, Port: tgb.Spec.ServiceRef.Port, Service: svc, IPFamily: family(tgb, svc, c.groupIPType(ctx, tgb))})
	if err != nil {
		return nil, fmt.Errorf("resolving targets of %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	return res.Pods, nil
}

// family is the IP family of the binding's targets, as the binding
// controller picks it: the spec's, else the target group's (a dual-stack
// Service bound to an ipv6 group without spec.ipAddressType has IPv6
// targets), else IPv6 for a Service that has only IPv6, else IPv4 (the
// target group default).
func family(tgb *v1alpha1.TargetGroupBinding, svc *corev1.Service, groupType string) corev1.IPFamily {
	t := string(tgb.Spec.IPAddressType)
	if t == "" {
		t = groupType
	}
	switch {
	case t == string(v1alpha1.IPAddressTypeIPv6):
		return corev1.IPv6Protocol
	case t == "" && len(svc.Spec.IPFamilies) == 1 && svc.Spec.IPFamilies[0] == corev1.IPv6Protocol:
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// source is the view of the binding's identity: its role's, for a group
// in another account.
func (c *Controller) source(tgb *v1alpha1.TargetGroupBinding) (HealthSource, error) {
	if c.cfg.HealthFor == nil {
		return c.health, nil
	}
	return c.cfg.HealthFor(elbv2.Identity{RoleARN: tgb.Spec.IAMRoleArnToAssume, ExternalID: tgb.Spec.AssumeRoleExternalID})
}

// groupIPType is the IP address type of the binding's target group, when
// the spec leaves it out and the view knows the group; "" otherwise.
func (c *Controller) groupIPType(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) string {
	arn := tgb.Status.TargetGroupARN
	if tgb.Spec.IPAddressType != "" || arn == "" {
		return ""
	}
	source, err := c.source(tgb)
	if err != nil {
		log.FromContext(ctx).Info("cannot read the target group's IP address type with the binding's role; taking the Service's", "targetGroupARN", arn, "error", err.Error())
		return ""
	}
	tg, err := source.Lookup(ctx, arn, "")
	if err != nil {
		log.FromContext(ctx).Info("cannot read the target group's IP address type; taking the Service's", "targetGroupARN", arn, "error", err.Error())
		return ""
	}
	return tg.IPAddressType
}

// pendingSince is when the gate became what holds the pod back: when its
// containers became ready (the kubelet's ContainersReady transition time,
// whole seconds), else the pod's creation.
func pendingSince(pod *corev1.Pod) time.Time {
	if st, c := podgate.Condition(pod, corev1.ContainersReady); st == corev1.ConditionTrue && !c.LastTransitionTime.IsZero() {
		return c.LastTransitionTime.Time
	}
	return pod.CreationTimestamp.Time
}

// noteInstanceGate explains, on the pod and in the log, a gate set True
// because its binding registers nodes: someone wrote the gate by hand, and
// should remove it.
func (c *Controller) noteInstanceGate(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, pod *corev1.Pod) {
	log.FromContext(ctx).Info("readiness gate of an instance binding set True", "pod", klog.KObj(pod), "gate", podgate.ConditionType(tgb.Name))
	c.events.Eventf(pod, tgb, corev1.EventTypeNormal, ReasonInstanceTarget, "SetReadinessGate",
		"readiness gate %s is set True: binding %s has targetType instance and registers nodes, not pods, so the gate has nothing to wait for; remove it from the pod template",
		podgate.ConditionType(tgb.Name), tgb.Name)
}

func (c *Controller) warnStuck(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, pod *corev1.Pod, gate string, waited, timeout time.Duration) {
	cond := podgate.GateCondition(pod, gate)
	why := "no condition yet"
	if cond != nil {
		why = cond.Reason + ": " + cond.Message
	}
	waited = waited.Round(time.Second)
	log.FromContext(ctx).Info("readiness gate is stuck", "pod", klog.KObj(pod), "waited", waited, "why", why)
	c.metrics.timeouts.WithLabelValues(tgb.Namespace, tgb.Name).Inc()
	const note = "readiness gate %s of pod %s has waited %s (more than the gate timeout %s) for its target to be healthy in %s; last state %s. Check the target group's health check (path, port, security groups) and the pod's logs"
	args := []any{podgate.ConditionType(gate), pod.Name, waited, timeout, tgb.Status.TargetGroupARN, why}
	c.events.Eventf(pod, tgb, corev1.EventTypeWarning, ReasonGateTimeout, "WaitForTargetHealth", note, args...)
	c.events.Eventf(tgb, pod, corev1.EventTypeWarning, ReasonGateTimeout, "WaitForTargetHealth", note, args...)
}
