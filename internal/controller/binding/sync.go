package binding

import (
	"context"
	"fmt"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
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
	// staleSkips: an endpoint was skipped because its Pod is not (yet) in
	// the cache as the slice lists it.
	staleSkips bool
	// hold: the deregistrations the brake held back.
	hold hold
	// foreign: another writer changed the group; nil when none did.
	foreign *foreignWrite
	// paused: spec.paused, and what a sync would do; nil when not paused.
	paused *pausedSync
	// checkpoint: status.checkpoint once the group holds the desired
	// targets in full (inSync).
	checkpoint string
}

// sync makes the binding's target group hold its desired targets. It reads
// top to bottom: which group, what belongs in it, what is in it, the plan,
// the writes, and what the status says afterwards.
func (c *Controller) sync(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (syncResult, *failure) {
	if tgb.Spec.Paused {
		return c.syncPaused(ctx, tgb), nil
	}
	res := syncResult{arn: tgb.Status.TargetGroupARN}

	// Which group: resolved, allowed to this namespace, not held by another
	// binding.
	tg, fail := c.target(ctx, tgb)
	if fail != nil {
		return res, fail
	}
	// Won: the finalizer and the claim go on before anything is written,
	// so that the binding's deletion removes what it registers, from the
	// group it holds; a binding refused above never gets either. The group
	// it moved from is left properly.
	if err := c.claim(ctx, tgb, tg.ARN); err != nil {
		return res, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
	}
	res.arn = tg.ARN
	if old := tgb.Status.TargetGroupARN; old != "" && old != tg.ARN {
		if err := c.leaveOldGroup(ctx, tgb, old); err != nil {
			res.arn = old // try again next time
			return res, c.awsFailure(tgb, err, old)
		}
		// Ownership recorded in the old group means nothing in the new one.
		tgb.Status.OwnedTargets = nil
	}

	// What belongs in it: the Service's endpoints of the group's family.
	eps, fail := c.wants(ctx, tgb, tg)
	if fail != nil {
		return res, fail
	}
	c.reportSkipped(ctx, tgb, eps.result.Skipped)
	c.checkHealthCheckPort(ctx, tgb, tg, eps.service)
	res.staleSkips = staleSkips(eps.result.Skipped)
	edited := c.edits.noteEdits(tgb, eps.service, c.clock.Now(), c.cfg.Brake.EvidenceTTL)

	// What is in it: the shared view, read back from AWS only when due.
	v, f := c.view(tgb)
	if f != nil {
		return res, f
	}
	g := v.Lock(tg.ARN)
	defer g.Unlock()
	before, read, err := g.RefreshAt(ctx, c.taken.readPriority(reconcile.Request{NamespacedName: bindingKey(tgb)}))
	if err != nil {
		return res, c.awsFailure(tgb, err, tg.ARN)
	}
	res.touched = read

	// The plan, and what it says to the user before anything is written.
	now := c.clock.Now()
	pl, err := c.planGroup(ctx, tgb, eps, g, edited)
	if err != nil {
		return res, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
	}
	plan, owned, setAside := pl.plan, pl.owned, pl.setAside
	res.hold = pl.hold
	c.announceConfirmed(ctx, tgb, pl.hold, len(plan.Deregister))
	drift := before != nil && c.reportOutside(ctx, tgb, tg.ARN, before, g.Health(), plan, &res)
	c.reportEmpty(ctx, tgb, eps, plan)
	c.reportWrongFamily(ctx, tgb, tg.ARN, eps.family, plan.WrongFamily)

	// The writes.
	if tgb.Spec.MultiClusterTargetGroup && len(plan.Register) > 0 {
		// Ownership is recorded before registering: if tgc stops between
		// the two, it owns a target it never registered, and deregistering
		// a target that is not registered succeeds. The other order would
		// leave a registered target no one ever removes.
		if err := c.recordOwned(ctx, tgb, tg.ARN, union(owned, plan.Register)); err != nil {
			return res, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
		}
		owned = union(owned, plan.Register)
	}
	var applyErr error
	if !plan.Empty() {
		start := c.changeStart(tgb, eps, now)
		res.touched = true
		var out applied
		out, applyErr = c.apply(ctx, tgb, g, plan)
		c.observeDeletions(ctx, tgb.Namespace, eps.result.Pods, out.deregistered, out.deregisteredAt)
		res.deferred = out.deferred
		setAside = append(setAside, out.rejected...)
		if applyErr == nil && res.deferred == 0 && !drift {
			c.observeLatency(plan, start)
			c.clearPending(bindingKey(tgb))
		}
	} else {
		c.clearPending(bindingKey(tgb))
	}

	// Afterwards: follow targets that settle on their own, warn about pods
	// that would exit before draining, and count. A sync that wrote does
	// not read the group back: AWS documents that a registered target is
	// initial until it passes its health checks and a deregistered one
	// draining for the deregistration delay, which the view already says
	// (targets.Applied). The next health poll comes at the health poll
	// interval; readiness gates poll on their own (FreshHealth).
	if !read && !res.touched {
		g.PollUnsettled(ctx)
	}
	if len(eps.result.Pods) > 0 || tgb.Spec.Drain.Injects() {
		// A binding with drain injection needs its delay recorded before
		// its first pods exist, so that they are sized.
		if delay, known := g.DeregistrationDelayKnown(ctx); known {
			c.recordDelay(ctx, tgb, delay, eps.result.Pods)
			c.checkGracePeriods(ctx, tgb, delay, eps.result.Pods, servingPort(tgb, eps.service))
		}
	}
	res.rejected = setAside
	res.owned = ownedAfter(tgb, owned, g.Health())
	if err := c.keepLedger(ctx, tgb, tg.ARN, res.owned); err != nil {
		// The status keeps the record; the ledger catches up next sync.
		log.FromContext(ctx).Error(err, "updating the ownership ledger")
	}
	res.counts = countTargets(g.Health(), eps.result.Targets, res.owned, tgb.Spec.MultiClusterTargetGroup)
	res.counts.Skipped = int32(len(eps.result.Skipped))
	res.unsettled = g.Unsettled()
	res.withheld = len(plan.Withheld)
	res.emptyRetained = len(plan.Withheld) > 0
	if applyErr != nil {
		return res, c.awsFailure(tgb, applyErr, tg.ARN)
	}
	if err := c.dropConfirmation(ctx, tgb, res.hold); err != nil {
		return res, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
	}
	if len(res.rejected) > 0 {
		fix := "Targets must be IPs inside the target group's VPC (or peered/RFC 1918 ranges with availabilityZone=all); check the pods' network"
		if targetType(tgb) == v1alpha1.TargetTypeInstance {
			fix = "Targets must be running EC2 instances in the target group's VPC; check the nodes' spec.providerID"
		}
		return res, &failure{reason: v1alpha1.ReasonTargetRejected, badInput: true,
			message: fmt.Sprintf("AWS rejected %d targets (%s) of target group %s; the rest are registered. %s", len(res.rejected), targetList(res.rejected), tg.ARN, fix)}
	}
	res.inSync = !res.emptyRetained && res.deferred == 0 && len(res.hold.held) == 0
	res.checkpoint = checkpointOf(eps.family, eps.result.Targets)
	return res, nil
}
