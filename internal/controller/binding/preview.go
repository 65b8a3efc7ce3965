package binding

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Preview is what a sync of a binding would do now, worked out by the
// sync's own steps without any write.
type Preview struct {
	// TargetGroup is the binding's group; its ARN is empty when Reason
	// says it could not be resolved.
	TargetGroup elbv2.TargetGroup
	// Reason and Message, when Reason is set, are the Ready condition a
	// sync would report as it stops before planning: the binding is
	// refused (TargetGroupConflict, NotAllowed) or its input is wrong
	// (ServiceNotFound, PortNotFound, ...). Nothing below is set then.
	Reason, Message string
	// Service is the binding's Service; nil when it does not exist.
	Service *corev1.Service
	// Desired are the targets the Service's endpoints (or nodes) make,
	// with the endpoints that are not targets and why.
	Desired targets.DesiredResult
	// Health is the group as DescribeTargetHealth reports it.
	Health []targets.Health
	// Owned limits what a multiClusterTargetGroup binding may remove; nil
	// when the binding owns the whole group.
	Owned map[targets.Target]bool
	// Plan is what the sync would write, after the brake; Plan.Withheld
	// are kept by emptyEndpointsPolicy Retain.
	Plan targets.Plan
	// Held are the deregistrations the brake holds back.
	Held []targets.Target
}

// Differs reports whether the group is not what the binding wants: a
// write is due, or a removal is held back.
func (p Preview) Differs() bool {
	return !p.Plan.Empty() || len(p.Held) > 0 || len(p.Plan.Withheld) > 0
}

// Preview works out what a sync of tgb would do now. Reads that fail for
// a reason the binding cannot fix (access denied, throttling, the API
// server) are returned as errors; a refused binding or wrong input is a
// Preview with Reason set.
//
// The planner knows only the edits and deletions its own process saw: a
// planner outside the controller reads an edit of the binding from its
// generation, but not one of its Service, so it may call held a removal
// that the controller lets go.
func (p *Planner) Preview(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (Preview, error) {
	var out Preview
	tg, fail := p.target(ctx, tgb)
	if fail != nil {
		return out.stop(fail)
	}
	out.TargetGroup = tg
	if old := tgb.Status.TargetGroupARN; old != "" && old != tg.ARN {
		// What the binding owned in its old group means nothing in this
		// one; a sync drops it as it leaves the old group.
		tgb = tgb.DeepCopy()
		tgb.Status.OwnedTargets = nil
	}
	eps, fail := p.wants(ctx, tgb, tg)
	if fail != nil {
		return out.stop(fail)
	}
	out.Service, out.Desired = eps.service, eps.result

	v, f := p.view(tgb)
	if f != nil {
		return out.stop(f)
	}
	g := v.Lock(tg.ARN)
	defer g.Unlock()
	if _, _, err := g.Refresh(ctx); err != nil {
		return out.stop(p.awsFailure(tgb, err, tg.ARN))
	}
	pl, err := p.planGroup(ctx, tgb, eps, g, tgb.Generation != tgb.Status.ObservedGeneration)
	if err != nil {
		return out, fmt.Errorf("planning %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	out.Health = slices.Clone(g.Health())
	out.Owned, out.Plan, out.Held = pl.owned, pl.plan, pl.hold.held
	return out, nil
}

// stop returns the preview with a failure that the binding's Ready
// condition would show, or the failure as an error when it is about the
// reader rather than the binding.
func (p Preview) stop(f *failure) (Preview, error) {
	switch f.reason {
	case v1alpha1.ReasonAccessDenied, v1alpha1.ReasonThrottled, v1alpha1.ReasonAWSError:
		return p, f
	}
	p.Reason, p.Message = f.reason, f.message
	return p, nil
}
