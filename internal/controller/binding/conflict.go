package binding

import (
	"context"
	"fmt"

	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// boundARN is the target group a binding syncs, as far as the cache knows:
// the resolved ARN once a sync has written it, else the one in the spec.
func boundARN(b *v1alpha1.TargetGroupBinding) string {
	if b.Status.TargetGroupARN != "" {
		return b.Status.TargetGroupARN
	}
	return b.Spec.TargetGroupARN
}

// older orders bindings by age, then by name, so every replica and every
// reconcile picks the same one.
func older(a, b *v1alpha1.TargetGroupBinding) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// conflictingBinding returns the binding that holds arn instead of self,
// if self may not share it. Two bindings that each think they own a whole
// target group deregister each other's targets on every sync, so the target
// group flaps; sharing is safe only when both record what they registered
// (multiClusterTargetGroup).
//
// The group belongs to the binding that held it first: the one whose status
// already names it, which tgc writes only after the binding won the group.
// Age decides only between bindings that both hold it, or neither does (two
// claims in the same moment), so that an old binding turned onto a live
// group never takes it.
func conflictingBinding(self *v1alpha1.TargetGroupBinding, arn string, all []v1alpha1.TargetGroupBinding) *v1alpha1.TargetGroupBinding {
	selfHolds := self.Status.TargetGroupARN == arn
	var owner *v1alpha1.TargetGroupBinding
	for i := range all {
		b := &all[i]
		if b.UID == self.UID || !b.DeletionTimestamp.IsZero() || boundARN(b) != arn {
			continue
		}
		if self.Spec.MultiClusterTargetGroup && b.Spec.MultiClusterTargetGroup {
			continue
		}
		if !first(b, self, arn, selfHolds) {
			continue
		}
		if owner == nil || first(b, owner, arn, owner.Status.TargetGroupARN == arn) {
			owner = b
		}
	}
	return owner
}

// first reports whether b came to the group before other: by holding it,
// else by age.
func first(b, other *v1alpha1.TargetGroupBinding, arn string, otherHolds bool) bool {
	if holds := b.Status.TargetGroupARN == arn; holds != otherHolds {
		return holds
	}
	return older(b, other)
}

// checkConflict refuses to sync a binding whose target group an older
// binding already syncs without multi-cluster mode on both.
func (c *Controller) checkConflict(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string) *failure {
	var list v1alpha1.TargetGroupBindingList
	if err := c.kube.List(ctx, &list, client.MatchingFields{TargetGroupIndex: arn}); err != nil {
		return &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing TargetGroupBindings: %v", err)}
	}
	owner := conflictingBinding(tgb, arn, list.Items)
	if owner == nil {
		return nil
	}
	return badInput(v1alpha1.ReasonTargetGroupConflict,
		"target group %s is already bound by %s; two bindings may share a target group only when both set multiClusterTargetGroup: true (otherwise each removes the other's targets). Point this binding at another target group, or set multiClusterTargetGroup on both",
		arn, klog.KObj(owner))
}
