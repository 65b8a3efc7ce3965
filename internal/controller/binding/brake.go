package binding

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// BrakeConfig tunes the deregistration brake: a sync may remove healthy
// targets without evidence that their pods are going only up to the limits;
// beyond them it holds those targets until the evidence arrives or a user
// confirms.
type BrakeConfig struct {
	// Disabled turns the brake off: every removal the plan makes goes ahead.
	Disabled bool
	// Limits default to more than half the healthy targets, or more than 10.
	Limits targets.BrakeLimits
	// EvidenceTTL is how long a seen pod deletion, and an edit of the
	// binding or its Service, explain removals. Default 5m: long enough for
	// the EndpointSlice controller to publish the change the edit or
	// deletion causes, short enough that a reused pod IP or an old edit does
	// not excuse a later loss.
	EvidenceTTL time.Duration
}

func (b BrakeConfig) withDefaults() BrakeConfig {
	if b.Limits == (targets.BrakeLimits{}) {
		b.Limits = targets.BrakeLimits{MaxFraction: 0.5, MaxTargets: 5}
	}
	if b.EvidenceTTL <= 0 {
		b.EvidenceTTL = 5 * time.Minute
	}
	return b
}

// PodIPIndex indexes Pods by every IP in status.podIPs, so that the brake
// finds the pod behind a target it is about to remove, whether or not a
// slice still names it.
const PodIPIndex = "status.podIPs"

func podIPs(o client.Object) []string {
	p, ok := o.(*corev1.Pod)
	if !ok {
		return nil
	}
	var out []string
	for _, ip := range p.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil {
			out = append(out, a.Unmap().String())
		}
	}
	return out
}

// watchPodDeletions registers the pod index and records the IPs of every
// deleted pod.
func (c *Controller) watchPodDeletions(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &corev1.Pod{}, PodIPIndex, podIPs); err != nil {
		return fmt.Errorf("indexing pods by %s: %w", PodIPIndex, err)
	}
	return watchDeletes(ctx, mgr, &corev1.Pod{}, c.podDeleted)
}

// podDeleted records a deleted pod's IPs in its namespace.
func (c *Controller) podDeleted(obj any) {
	p, ok := lastState(obj).(*corev1.Pod)
	if !ok {
		return
	}
	var keys []podAddr
	for _, s := range podIPs(p) {
		if ip, err := netip.ParseAddr(s); err == nil {
			keys = append(keys, podAddr{p.Namespace, ip.Unmap()})
		}
	}
	c.deletions.record(c.clock.Now(), keys...)
}

// podAddr is a pod's IP in its namespace, how the brake finds a deleted pod
// behind a target.
type podAddr struct {
	namespace string
	ip        netip.Addr
}

// edits remember, per binding, the fingerprint of its Service's selector
// and ports as last synced and when tgc last saw the binding or the Service
// edited.
type edits struct {
	mu sync.Mutex
	m  map[types.NamespacedName]editState
}

type editState struct {
	service string
	at      time.Time
}

// noteEdits records an edit of the binding's spec (its generation is not the
// one status last observed) or of its Service's selector or ports, and
// reports whether one happened within ttl. After a restart tgc has no
// fingerprint of the Service, and the first one it sees is not an edit.
func (e *edits) noteEdits(tgb *v1alpha1.TargetGroupBinding, svc *corev1.Service, now time.Time, ttl time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := bindingKey(tgb)
	st, known := e.m[key]
	fp := ServiceFingerprint(svc)
	if tgb.Generation != tgb.Status.ObservedGeneration || (known && st.service != fp) {
		st.at = now
	}
	st.service = fp
	e.m[key] = st
	return !st.at.IsZero() && now.Sub(st.at) < ttl
}

func (e *edits) forget(key types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}

// ServiceFingerprint is a hash of what of a Service decides its targets:
// the selector, the ports with their target and node ports, and the
// external traffic policy. A change to it is a deliberate edit, such as a
// blue/green switch of the selector. Empty for no Service.
func ServiceFingerprint(svc *corev1.Service) string {
	if svc == nil {
		return ""
	}
	var b strings.Builder
	keys := make([]string, 0, len(svc.Spec.Selector))
	for k := range svc.Spec.Selector {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s;", k, svc.Spec.Selector[k])
	}
	for _, p := range svc.Spec.Ports {
		fmt.Fprintf(&b, "|%s/%s/%d/%s/%d", p.Name, p.Protocol, p.Port, p.TargetPort.String(), p.NodePort)
	}
	// Which nodes an instance binding registers follows the policy.
	fmt.Fprintf(&b, "|%s", svc.Spec.ExternalTrafficPolicy)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// PodLeaving reports whether a pod is on its way out of its Service: being
// deleted, finished, or not Ready.
func PodLeaving(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status != corev1.ConditionTrue
		}
	}
	return true // no Ready condition yet: never ready
}

// evidence finds, for each target the plan deregisters that the desired
// state does not explain, the evidence tgc saw happen: for a node, its
// delete event; for a pod IP, the pods with that IP in the binding's
// namespace all leaving, or, with none left, a delete event seen.
func (p *Planner) evidence(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, eps endpoints, deregister []targets.Target) (map[targets.Key]targets.Evidence, error) {
	ev := targets.EndpointEvidence(eps.result)
	now := p.clock.Now()
	for _, t := range deregister {
		if ev[t.Key()] != "" {
			continue
		}
		if t.Instance != "" {
			if p.goneNodes.seen(t.Instance, now) {
				ev[t.Key()] = targets.EvidenceNodeDeleted
			}
			continue
		}
		var pods corev1.PodList
		if err := p.kube.List(ctx, &pods, client.InNamespace(tgb.Namespace), client.MatchingFields{PodIPIndex: t.IP.String()}); err != nil {
			return nil, fmt.Errorf("listing pods with IP %s: %w", t.IP, err)
		}
		leaving := len(pods.Items) > 0
		for i := range pods.Items {
			leaving = leaving && PodLeaving(&pods.Items[i])
		}
		switch {
		case leaving:
			ev[t.Key()] = targets.EvidencePodLeaving
		case len(pods.Items) == 0 && p.deletions.seen(podAddr{tgb.Namespace, t.IP}, now):
			ev[t.Key()] = targets.EvidencePodDeleted
		}
	}
	return ev, nil
}

// serviceEditedUnseen reports whether the API server's copy of the Service
// differs, in what decides targets, from cached, the copy the plan used. The
// EndpointSlice informer can deliver the slices of a selector switch before
// the Service informer delivers the switch itself, and the brake must not
// take the edit's removals for lost endpoints. It costs one uncached read,
// only when the brake is about to hold.
func (p *Planner) serviceEditedUnseen(ctx context.Context, cached *corev1.Service) bool {
	if p.cfg.Live == nil || cached == nil {
		return false
	}
	live := &corev1.Service{}
	if err := p.cfg.Live.Get(ctx, client.ObjectKeyFromObject(cached), live); err != nil {
		log.FromContext(ctx).V(1).Info("reading the Service uncached before a hold", "service", klog.KObj(cached), "error", err.Error())
		return false
	}
	return ServiceFingerprint(live) != ServiceFingerprint(cached)
}

// hold is what the brake did in a sync.
type hold struct {
	held    []targets.Target
	healthy int
	// confirmed is the number of held targets a user's confirmation
	// released in this sync; 0 when none did.
	confirmed int
}

// brake splits the plan's removals into those that go now and those held.
// It makes no AWS call: the group's health is the view's, already read.
// An empty desired set is left to emptyEndpointsPolicy, which withholds or
// removes everything as the user chose.
func (p *Planner) brake(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, eps endpoints, plan *targets.Plan, desired int, health []targets.Health, owned map[targets.Target]bool, edited bool) (hold, error) {
	b := p.cfg.Brake
	if b.Disabled || len(plan.Deregister) == 0 || desired == 0 {
		return hold{}, nil
	}
	var ev map[targets.Key]targets.Evidence
	if !edited {
		var err error
		if ev, err = p.evidence(ctx, tgb, eps, plan.Deregister); err != nil {
			return hold{}, err
		}
	}
	confirmed, _ := strconv.Atoi(tgb.Annotations[v1alpha1.ConfirmDeregistrationAnnotation])
	in := targets.BrakeInput{
		Deregister: plan.Deregister,
		Health:     health,
		Owned:      owned,
		Evidence:   ev,
		Edited:     edited,
		Confirmed:  confirmed,
		Limits:     b.Limits,
	}
	r := targets.Brake(in)
	if len(r.Held) > 0 && !edited && p.serviceEditedUnseen(ctx, eps.service) {
		log.FromContext(ctx).Info("the Service's selector or ports changed since the cache last saw it; its edit explains the removals")
		in.Edited = true
		r = targets.Brake(in)
	}
	plan.Deregister = r.Release
	if len(r.Held) > 0 {
		log.FromContext(ctx).Info("holding the deregistration of healthy targets without evidence that their pods are going",
			"held", len(r.Held), "healthy", r.Healthy, "targets", targetList(r.Held))
	}
	h := hold{held: r.Held, healthy: r.Healthy}
	if r.Confirmed {
		h.confirmed = confirmed
	}
	return h, nil
}

// announceConfirmed tells, in the log and with an Event, that a user's
// confirmation released a hold in this sync.
func (c *Controller) announceConfirmed(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, h hold, released int) {
	if h.confirmed == 0 {
		return
	}
	log.FromContext(ctx).Info("deregistration confirmed by annotation", "annotation", v1alpha1.ConfirmDeregistrationAnnotation, "targets", released)
	c.event(tgb, false, "DeregistrationConfirmed", "DeregisterTargets",
		"deregistering %d held targets as confirmed by annotation %s", h.confirmed, v1alpha1.ConfirmDeregistrationAnnotation)
}

// dropConfirmation removes the confirmation annotation once it was used, or
// when no hold is left for it to confirm, so that it cannot release a later
// hold of the same size.
func (c *Controller) dropConfirmation(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, h hold) error {
	if _, ok := tgb.Annotations[v1alpha1.ConfirmDeregistrationAnnotation]; !ok || (len(h.held) > 0 && h.confirmed == 0) {
		return nil
	}
	orig := tgb.DeepCopy()
	delete(tgb.Annotations, v1alpha1.ConfirmDeregistrationAnnotation)
	if err := c.kube.Patch(ctx, tgb, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("removing annotation %s from %s/%s: %w", v1alpha1.ConfirmDeregistrationAnnotation, tgb.Namespace, tgb.Name, err)
	}
	return nil
}

// heldMessage is the Ready condition's message during a hold: how many,
// which, why, and the two ways out.
func heldMessage(tgb *v1alpha1.TargetGroupBinding, h hold) string {
	what, left, noEvidence, ends := "targets", "endpoints", "no pod behind them is terminating, not ready or deleted,",
		"the EndpointSlice controller lists them again or their pods go"
	if targetType(tgb) == v1alpha1.TargetTypeInstance {
		what, left, noEvidence, ends = "nodes", "targets", "no node behind them is being deleted, excluded from load balancers or tainted for disruption, no endpoint on them is leaving,",
			"they are targets again or that evidence arrives"
	}
	return fmt.Sprintf("holding the deregistration of %d healthy %s (%s) of %d: they left the %s of Service %s, "+
		"but %s and neither the binding nor the Service changed, "+
		"as when an EndpointSlice is deleted or a cache comes back short. New targets are still registered. "+
		"The hold ends when %s; "+
		"to remove them now, annotate the binding with %s=%q",
		len(h.held), what, targetList(h.held), h.healthy, left, tgb.Spec.ServiceRef.Name, noEvidence, ends, v1alpha1.ConfirmDeregistrationAnnotation, strconv.Itoa(len(h.held)))
}
