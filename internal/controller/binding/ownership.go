package binding

import (
	"context"
	"fmt"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/ledger"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// ownedTargets reads status.ownedTargets. It returns nil (tgc owns the whole
// group) unless the binding is in multi-cluster mode, where it returns a
// non-nil map even when empty: nothing owned means nothing may be removed.
func ownedTargets(tgb *v1alpha1.TargetGroupBinding) map[targets.Target]bool {
	if !tgb.Spec.MultiClusterTargetGroup {
		return nil
	}
	owned := make(map[targets.Target]bool, len(tgb.Status.OwnedTargets))
	for _, s := range tgb.Status.OwnedTargets {
		t, err := parseTarget(s)
		if err != nil {
			continue // written by tgc; a bad entry can only be a hand edit
		}
		owned[t] = true
	}
	return owned
}

// parseTarget reads Target.String: "id:port" or "id:port/zone".
func parseTarget(s string) (targets.Target, error) {
	t, err := targets.Parse(s)
	if err != nil {
		return targets.Target{}, fmt.Errorf("reading owned target: %w", err)
	}
	return t, nil
}

func formatOwned(owned map[targets.Target]bool) []string {
	out := make([]string, 0, len(owned))
	for t, ok := range owned {
		if ok {
			out = append(out, t.WithoutZone().String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// owned is what the binding may remove from arn in multi-cluster mode: the
// targets in its status and those the ledger says its Service's bindings
// registered there, which a binding new to the group (its Service was
// recreated) adopts. Nil outside multi-cluster mode: the binding owns the
// whole group.
func (p *Planner) owned(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string) (map[targets.Target]bool, error) {
	owned := ownedTargets(tgb)
	if owned == nil || p.cfg.Ledger == nil {
		return owned, nil
	}
	recorded, err := p.cfg.Ledger.Owned(ctx, arn, claimant(tgb))
	if err != nil {
		return nil, err
	}
	for _, s := range recorded {
		if t, err := parseTarget(s); err == nil {
			owned[t] = true
		}
	}
	return owned, nil
}

func claimant(tgb *v1alpha1.TargetGroupBinding) string {
	return ledger.Claimant(tgb.Namespace, tgb.Spec.ServiceRef.Name)
}

// recordOwned records, in the ledger and in status.ownedTargets, the
// targets tgc is about to register.
func (c *Controller) recordOwned(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, owned map[targets.Target]bool) error {
	list := formatOwned(owned)
	if err := c.keepLedger(ctx, tgb, arn, list); err != nil {
		return err
	}
	orig := tgb.DeepCopy()
	tgb.Status.OwnedTargets = list
	if err := c.kube.Status().Patch(ctx, tgb, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("recording owned targets of %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	return nil
}

// keepLedger makes the ledger's entry for the binding's Service list; a
// no-op without a ledger or when it already does.
func (c *Controller) keepLedger(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, list []string) error {
	if c.cfg.Ledger == nil || !tgb.Spec.MultiClusterTargetGroup {
		return nil
	}
	return c.cfg.Ledger.Record(ctx, arn, claimant(tgb), list)
}

// ownedAfter is status.ownedTargets after a sync: the owned targets still in
// the group. Targets tgc deregistered (now draining) are no longer its own.
func ownedAfter(tgb *v1alpha1.TargetGroupBinding, owned map[targets.Target]bool, health []targets.Health) []string {
	if !tgb.Spec.MultiClusterTargetGroup {
		return nil
	}
	in := targets.Members(health)
	keep := map[targets.Target]bool{}
	for t := range owned {
		if _, ok := in[t.Key()]; ok {
			keep[t] = true
		}
	}
	return formatOwned(keep)
}

func union(owned map[targets.Target]bool, ts []targets.Target) map[targets.Target]bool {
	out := make(map[targets.Target]bool, len(owned)+len(ts))
	for t, ok := range owned {
		if ok {
			out[t] = true
		}
	}
	for _, t := range ts {
		out[t.WithoutZone()] = true
	}
	return out
}

func keyset(ts []targets.Target) map[targets.Key]bool {
	m := make(map[targets.Key]bool, len(ts))
	for _, t := range ts {
		m[t.Key()] = true
	}
	return m
}
