package binding

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/types"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// countTargets counts the binding's targets by state. In multi-cluster mode
// the binding's targets are the desired and owned ones; otherwise the whole
// group belongs to it.
func countTargets(health []targets.Health, desired []targets.Target, owned []string, multi bool) v1alpha1.TargetCounts {
	c := v1alpha1.TargetCounts{Desired: int32(len(desired))}
	mine := keyset(desired)
	for _, s := range owned {
		if t, err := parseTarget(s); err == nil {
			mine[t.Key()] = true
		}
	}
	for _, h := range health {
		if !h.Registered() || (multi && !mine[h.Target.Key()]) {
			continue
		}
		if h.Leaving() {
			c.Draining++
			continue
		}
		c.Registered++
		switch h.State {
		case targets.StateHealthy:
			c.Healthy++
		case targets.StateInitial:
			c.Initial++
		case targets.StateUnhealthy:
			c.Unhealthy++
		default:
			c.Unavailable++
		}
	}
	return c
}

// noTargets says what a binding with an empty desired set lacks.
func noTargets(tgb *v1alpha1.TargetGroupBinding) string {
	if targetType(tgb) == v1alpha1.TargetTypeInstance {
		return "ready endpoints on a node tgc may register (see the nodes' labels, taints and spec.nodeSelector)"
	}
	return "ready endpoints"
}

func readyCondition(tgb *v1alpha1.TargetGroupBinding) *metav1.Condition {
	return meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionReady)
}

// writeStatus patches the binding's status when it changed, and announces a
// new failure with a Warning Event and a log line once, not on every retry.
// orig is the binding as the sync started, so that the patch carries every
// change the sync made, including those made to tgb in memory.
func (c *Controller) writeStatus(ctx context.Context, orig, tgb *v1alpha1.TargetGroupBinding, res syncResult, fail *failure) error {
	now := metav1.NewTime(c.clock.Now())
	st := &tgb.Status
	st.ObservedGeneration = tgb.Generation
	if res.arn != "" {
		st.TargetGroupARN = res.arn
	}

	cond := metav1.Condition{Type: v1alpha1.ConditionReady, ObservedGeneration: tgb.Generation}
	prev := readyCondition(orig)
	switch {
	case res.paused != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, v1alpha1.ReasonPaused, pausedMessage(tgb, res.paused)
	case fail != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, fail.reason, fail.message
	case len(res.hold.held) > 0:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, v1alpha1.ReasonDeregistrationHeld, heldMessage(tgb, res.hold)
	case res.deferred > 0 && prev != nil:
		// Writes waiting for rate-limit tokens are progress, not a new
		// state: the condition stays as it was until they are done.
		cond = *prev
	case res.deferred > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, v1alpha1.ReasonSyncPending
		cond.Message = fmt.Sprintf("changes to target group %s wait %s for AWS API rate-limit tokens; tgc applies them then", res.arn, res.deferred.Round(time.Millisecond))
	case res.emptyRetained:
		cond.Status, cond.Reason = metav1.ConditionFalse, v1alpha1.ReasonNoEndpoints
		cond.Message = fmt.Sprintf("Service %s has no %s; %d targets are kept because emptyEndpointsPolicy is Retain. Fix the Service's pods, or set emptyEndpointsPolicy: Deregister to remove them",
			tgb.Spec.ServiceRef.Name, noTargets(tgb), res.withheld)
	default:
		cond.Status, cond.Reason = metav1.ConditionTrue, v1alpha1.ReasonSynced
		cond.Message = fmt.Sprintf("target group holds the %d ready endpoints of Service %s", res.counts.Desired, tgb.Spec.ServiceRef.Name)
		if targetType(tgb) == v1alpha1.TargetTypeInstance {
			cond.Message = fmt.Sprintf("target group holds the %d nodes that serve Service %s", res.counts.Desired, tgb.Spec.ServiceRef.Name)
		}
		if n := res.counts.Skipped; n > 0 {
			cond.Message += fmt.Sprintf("; %d endpoints are skipped, with no Pod of the binding behind them (see the %s Events)", n, ReasonEndpointSkipped)
		}
	}
	changed := prev == nil || prev.Status != cond.Status || prev.Reason != cond.Reason || prev.Message != cond.Message
	meta.SetStatusCondition(&st.Conditions, cond)
	c.announcePause(ctx, tgb, prev, res.paused != nil)
	fw := foreignWriterCondition(meta.FindStatusCondition(orig.Status.Conditions, v1alpha1.ConditionForeignWriter),
		res.foreign, c.foreign.lastAt(bindingKey(tgb)), now.Time, res.arn, tgb.Generation)
	if fw != nil {
		meta.SetStatusCondition(&st.Conditions, *fw)
	}

	// Counts and ownership are known only when the sync got as far as the
	// target group; a failure before that keeps the last known ones.
	if res.touched || fail == nil || len(res.rejected) > 0 {
		st.Targets = res.counts
		if tgb.Spec.MultiClusterTargetGroup {
			st.OwnedTargets = res.owned
		}
	}
	if !tgb.Spec.MultiClusterTargetGroup {
		st.OwnedTargets = nil
	}
	if res.inSync {
		st.Checkpoint = res.checkpoint
	}
	// After the checkpoint, so that a patch it causes carries the time too.
	synced := res.inSync && (res.touched || st.LastSyncTime == nil)
	if synced && lastSyncDue(orig.Status, *st, now.Time) {
		st.LastSyncTime = &now
	}

	if fail != nil && changed {
		log.FromContext(ctx).Error(fail, "binding not synced", "reason", fail.reason)
		c.event(tgb, true, fail.reason, "Sync", "%s", fail.message)
	}
	// Once per hold: the message names the held targets, so it changes
	// only when the hold does.
	if fail == nil && len(res.hold.held) > 0 && changed {
		c.event(tgb, true, v1alpha1.ReasonDeregistrationHeld, "DeregisterTargets", "%s", cond.Message)
	}
	if fail == nil || res.touched {
		c.metrics.held.WithLabelValues(tgb.Namespace, tgb.Name).Set(float64(len(res.hold.held)))
	}
	c.metrics.setReady(tgb.Namespace, tgb.Name, cond.Reason, cond.Status == metav1.ConditionTrue)
	c.metrics.paused.WithLabelValues(tgb.Namespace, tgb.Name).Set(boolValue(res.paused != nil))
	c.metrics.setCounts(tgb.Namespace, tgb.Name, st.Targets)
	// The metric follows every sync, which costs no API write; the status
	// field follows it at most every LastSyncTimeInterval.
	if synced {
		c.metrics.lastSync.WithLabelValues(tgb.Namespace, tgb.Name).Set(float64(now.Unix()))
	} else if st.LastSyncTime != nil {
		c.metrics.lastSync.WithLabelValues(tgb.Namespace, tgb.Name).Set(float64(st.LastSyncTime.Unix()))
	}

	if equality.Semantic.DeepEqual(orig.Status, tgb.Status) {
		return nil
	}
	patch, err := mergePatchOfStatus(orig.Status, tgb.Status)
	if err != nil {
		return fmt.Errorf("computing the status patch of %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	if err := c.kube.Status().Patch(ctx, tgb, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("writing status of %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	return nil
}

// mergePatchOfStatus is the JSON merge patch from one status to the other. It is
// computed from the statuses alone: client.MergeFrom serialises the whole
// object twice (metadata, managed fields, spec) to find a change that only
// the status can hold, and that was the largest cost of a sync.
func mergePatchOfStatus(before, after v1alpha1.TargetGroupBindingStatus) ([]byte, error) {
	b, err := json.Marshal(before)
	if err != nil {
		return nil, err
	}
	a, err := json.Marshal(after)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.CreateMergePatch(b, a)
	if err != nil {
		return nil, err
	}
	return append(append([]byte(`{"status":`), p...), '}'), nil
}

// lastSyncDue reports whether a sync that found the group in sync moves
// status.lastSyncTime forward. Every status patch is an API write and a
// watch event that every informer of bindings decodes, so a patch that would
// carry only a newer lastSyncTime (a health poll or drift check that found
// nothing new) is made at most every v1alpha1.LastSyncTimeInterval; a
// patch that goes out anyway for another field carries the current time.
func lastSyncDue(before, after v1alpha1.TargetGroupBindingStatus, now time.Time) bool {
	if after.LastSyncTime == nil || now.Sub(after.LastSyncTime.Time) >= v1alpha1.LastSyncTimeInterval {
		return true
	}
	after.LastSyncTime = before.LastSyncTime
	return !equality.Semantic.DeepEqual(before, after)
}

// announcePause makes a pause loud: a Warning Event and a log line when it
// starts, and an Event when it ends, since a pause has costs (PauseCosts).
func (c *Controller) announcePause(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, prev *metav1.Condition, paused bool) {
	wasPaused := prev != nil && prev.Reason == v1alpha1.ReasonPaused
	switch {
	case paused && !wasPaused:
		log.FromContext(ctx).Info("binding paused: no AWS writes until spec.paused is false")
		c.event(tgb, true, v1alpha1.ReasonPaused, "Pause",
			"binding paused by spec.paused: tgc makes no AWS writes for it until spec.paused is false. %s", PauseCosts)
	case !paused && wasPaused:
		log.FromContext(ctx).Info("binding resumed: AWS writes go ahead")
		c.event(tgb, false, "Resumed", "Pause", "binding resumed: tgc applies the changes due to target group %s", tgb.Status.TargetGroupARN)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
