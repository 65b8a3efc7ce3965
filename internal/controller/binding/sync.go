package binding

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// syncResult is what a sync found and did, for status and requeueing.
type syncResult struct {
	arn    string
	counts v1alpha1.TargetCounts
	// owned is the new status.ownedTargets (multi-cluster mode only).
	owned []string
	// inSync: the target group now holds exactly the desired targets.
	inSync bool
	// touched: tgc called AWS (read or write) in this sync, so lastSyncTime
	// moves forward.
	touched   bool
	unsettled bool
	// deferred: some changes wait for client-side rate limit tokens booked
	// this long ahead; the binding is synced again then.
	deferred      time.Duration
	emptyRetained bool
	withheld      int
	rejected      []targets.Target
}

// endpoints is the desired side of a binding.
type endpoints struct {
	result  targets.DesiredResult
	trigger time.Time // newest last-change-trigger-time of the slices
	// serviceGone: the Service does not exist and the policy allows
	// deregistering everything.
	serviceGone bool
}

func (c *Controller) sync(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (syncResult, *failure) {
	res := syncResult{arn: tgb.Status.TargetGroupARN}
	tg, fail := c.resolve(ctx, tgb)
	if fail != nil {
		return res, fail
	}
	if fail := c.checkConflict(ctx, tgb, tg.ARN); fail != nil {
		return res, fail
	}
	res.arn = tg.ARN
	if old := tgb.Status.TargetGroupARN; old != "" && old != tg.ARN {
		if err := c.leaveOldGroup(ctx, tgb, old); err != nil {
			res.arn = old // try again next time
			return res, c.awsFailure(err, old)
		}
		// Ownership recorded in the old group means nothing in the new one.
		tgb.Status.OwnedTargets = nil
	}

	family, fail := ipFamily(tgb, tg)
	if fail != nil {
		return res, fail
	}
	eps, fail := c.desired(ctx, tgb, family)
	if fail != nil {
		return res, fail
	}

	gr := c.groups.get(tg.ARN)
	gr.mu.Lock()
	defer gr.mu.Unlock()

	before, refreshed, err := c.refresh(ctx, tg.ARN, gr)
	if err != nil {
		return res, c.awsFailure(err, tg.ARN)
	}
	res.touched = refreshed

	now := c.clock.Now()
	desired := withoutRejected(eps.result.Targets, gr, now)
	owned := ownedTargets(tgb)
	plan := targets.ComputePlan(targets.PlanInput{
		Desired:            desired,
		Actual:             gr.health,
		Owned:              owned,
		AllowDeregisterAll: tgb.Spec.EmptyEndpointsPolicy == v1alpha1.EmptyEndpointsPolicyDeregister,
	})
	drift := before != nil && c.reportDrift(ctx, tgb, tg.ARN, before, gr.health, plan)
	c.reportEmpty(ctx, tgb, eps, plan)

	if tgb.Spec.MultiClusterTargetGroup && len(plan.Register) > 0 {
		// Ownership is recorded before registering: if tgc stops between
		// the two, it owns a target it never registered, and deregistering
		// a target that is not registered succeeds. The other order would
		// leave a registered target no one ever removes.
		if err := c.recordOwned(ctx, tgb, union(owned, plan.Register)); err != nil {
			return res, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
		}
		owned = union(owned, plan.Register)
	}

	var applyErr error
	if !plan.Empty() {
		start := c.changeStart(tgb, eps, now)
		res.touched = true
		deleting := c.deletionStarts(ctx, tgb.Namespace, eps.result.Pods, plan.Deregister)
		res.rejected, res.deferred, applyErr = c.apply(ctx, tgb, tg.ARN, gr, plan, deleting)
		if applyErr == nil && res.deferred == 0 && !drift {
			c.observeLatency(plan, start)
			c.clearPending(bindingKey(tgb))
		}
	} else {
		c.clearPending(bindingKey(tgb))
	}
	if !refreshed {
		c.pollUnsettled(ctx, tg.ARN, gr)
	}
	if len(eps.result.Pods) > 0 {
		c.checkGracePeriods(ctx, tgb, c.deregistrationDelay(ctx, tg.ARN, gr), eps.result.Pods)
	}

	res.owned = ownedAfter(tgb, owned, gr.health)
	res.counts = countTargets(gr.health, eps.result.Targets, res.owned, tgb.Spec.MultiClusterTargetGroup)
	res.unsettled = gr.unsettled()
	res.withheld = len(plan.Withheld)
	res.emptyRetained = len(plan.Withheld) > 0
	if applyErr != nil {
		return res, c.awsFailure(applyErr, tg.ARN)
	}
	if len(res.rejected) > 0 {
		return res, &failure{reason: v1alpha1.ReasonTargetRejected, badInput: true,
			message: fmt.Sprintf("AWS rejected %d targets (%s) of target group %s; the rest are registered. Targets must be IPs inside the target group's VPC (or peered/RFC 1918 ranges with availabilityZone=all); check the pods' network", len(res.rejected), targetList(res.rejected), tg.ARN)}
	}
	res.inSync = !res.emptyRetained && res.deferred == 0
	return res, nil
}

// awsFailure classifies an AWS error; a group AWS says is gone is dropped
// from the cache so that a recreated group is read afresh.
func (c *Controller) awsFailure(err error, arn string) *failure {
	if errors.Is(err, elbv2.ErrTargetGroupNotFound) {
		c.groups.forget(arn)
		c.catalog.forget(arn)
	}
	return classifyAWS(err, arn)
}

// resolve finds the binding's target group: it checks the ARN's shape, then
// reads the group from the catalog, which sweeps every group of the account
// at most once per drift interval, to learn its type and IP address type.
func (c *Controller) resolve(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (elbv2.TargetGroup, *failure) {
	arn, name := tgb.Spec.TargetGroupARN, tgb.Spec.TargetGroupName
	switch {
	case arn != "":
		if err := validateARN(arn); err != nil {
			return elbv2.TargetGroup{}, badInput(v1alpha1.ReasonInvalidARN, "%v; fix spec.targetGroupARN", err)
		}
	case name == "":
		return elbv2.TargetGroup{}, badInput(v1alpha1.ReasonInvalidARN, "set spec.targetGroupARN or spec.targetGroupName")
	}
	tg, err := c.catalog.lookup(ctx, arn, name, c.clock.Now(), c.cfg.DriftInterval)
	if err != nil {
		if arn == "" {
			return elbv2.TargetGroup{}, classifyAWS(err, "named "+name)
		}
		return elbv2.TargetGroup{}, classifyAWS(err, arn)
	}
	return tg, checkType(tg)
}

func checkType(tg elbv2.TargetGroup) *failure {
	if tg.TargetType != "" && tg.TargetType != string(v1alpha1.TargetTypeIP) {
		return badInput(v1alpha1.ReasonTargetTypeMismatch, "target group %s has target type %q; tgc registers pod IPs and needs a target group of type ip", tg.ARN, tg.TargetType)
	}
	return nil
}

// ipFamily is the family of the targets: the target group's, which the spec
// may name but not contradict.
func ipFamily(tgb *v1alpha1.TargetGroupBinding, tg elbv2.TargetGroup) (corev1.IPFamily, *failure) {
	groupType := v1alpha1.IPAddressType(tg.IPAddressType)
	if groupType == "" {
		groupType = v1alpha1.IPAddressTypeIPv4
	}
	if want := tgb.Spec.IPAddressType; want != "" && want != groupType {
		return "", badInput(v1alpha1.ReasonIPFamilyMismatch, "spec.ipAddressType is %s but target group %s takes %s targets; make them match", want, tg.ARN, groupType)
	}
	if groupType == v1alpha1.IPAddressTypeIPv6 {
		return corev1.IPv6Protocol, nil
	}
	return corev1.IPv4Protocol, nil
}

// desired reads the Service and its EndpointSlices from the informer cache
// and computes the targets.
func (c *Controller) desired(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, family corev1.IPFamily) (endpoints, *failure) {
	svcKey := types.NamespacedName{Namespace: tgb.Namespace, Name: tgb.Spec.ServiceRef.Name}
	svc := &corev1.Service{}
	if err := c.kube.Get(ctx, svcKey, svc); err != nil {
		if !apierrors.IsNotFound(err) {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("reading Service %s: %v", svcKey, err)}
		}
		svc = nil
	}
	var slices discoveryv1.EndpointSliceList
	if svc != nil {
		if err := c.kube.List(ctx, &slices, client.InNamespace(tgb.Namespace), client.MatchingFields{SliceServiceIndex: svc.Name}); err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing EndpointSlices of %s: %v", svcKey, err)}
		}
	}
	var gated map[types.UID]bool
	if c.cfg.Gates != nil && svc != nil {
		g, err := c.cfg.Gates.GatedPods(ctx, tgb)
		if err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing gated pods of %s: %v", svcKey, err)}
		}
		gated = g
	}
	result, err := targets.Desired(targets.DesiredInput{
		Slices:    slices.Items,
		Port:      tgb.Spec.ServiceRef.Port,
		Service:   svc,
		IPFamily:  family,
		GatedPods: gated,
	})
	if err != nil {
		var p *targets.Problem
		if !errors.As(err, &p) {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
		}
		f := fromProblem(p)
		if p.Reason == targets.ReasonServiceNotFound {
			f.message = fmt.Sprintf("Service %s does not exist", svcKey)
		}
		// A missing Service is an empty desired set when the policy says
		// so; every other problem leaves the target group alone.
		if p.Reason == targets.ReasonServiceNotFound && tgb.Spec.EmptyEndpointsPolicy == v1alpha1.EmptyEndpointsPolicyDeregister {
			return endpoints{serviceGone: true}, nil
		}
		f.message = fmt.Sprintf("%s; fix spec.serviceRef or the Service (registered targets are left as they are)", f.message)
		return endpoints{}, f
	}
	for _, w := range result.Warnings {
		log.FromContext(ctx).Info("endpoints left out", "reason", w.Reason, "message", w.Message)
	}
	return endpoints{result: result, trigger: newestTrigger(slices.Items)}, nil
}

// newestTrigger is the newest endpoints.kubernetes.io/last-change-trigger-time
// of the slices: when the pod change that the slices reflect happened.
func newestTrigger(slices []discoveryv1.EndpointSlice) time.Time {
	var newest time.Time
	for _, s := range slices {
		v, ok := s.Annotations[corev1.EndpointsLastChangeTriggerTime]
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err == nil && t.After(newest) {
			newest = t
		}
	}
	return newest
}

func withoutRejected(ts []targets.Target, gr *group, now time.Time) []targets.Target {
	if len(gr.rejected) == 0 {
		return ts
	}
	out := make([]targets.Target, 0, len(ts))
	for _, t := range ts {
		if until, ok := gr.rejected[t.Key()]; ok {
			if now.Before(until) {
				continue
			}
			delete(gr.rejected, t.Key())
		}
		out = append(out, t)
	}
	return out
}

func union(owned map[targets.Target]bool, ts []targets.Target) map[targets.Target]bool {
	out := make(map[targets.Target]bool, len(owned)+len(ts))
	for t, ok := range owned {
		if ok {
			out[t] = true
		}
	}
	for _, t := range ts {
		out[targets.Target{IP: t.IP, Port: t.Port}] = true
	}
	return out
}

func keyset(ts []targets.Target) map[netip.AddrPort]bool {
	m := make(map[netip.AddrPort]bool, len(ts))
	for _, t := range ts {
		m[t.Key()] = true
	}
	return m
}
