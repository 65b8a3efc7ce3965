package binding

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// checkpointOf is status.checkpoint for a group that holds ts in full:
// the family, then a digest of the sorted targets. The family leads so
// that a start can recompute the desired targets from the cache alone;
// which family a group takes is otherwise known only from AWS.
func checkpointOf(family corev1.IPFamily, ts []targets.Target) string {
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = t.String()
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	return string(family) + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// checkpointFamily reads the family back from a checkpoint; false when
// there is none, or it is not one tgc wrote.
func checkpointFamily(cp string) (corev1.IPFamily, bool) {
	f, _, ok := strings.Cut(cp, ":")
	switch family := corev1.IPFamily(f); {
	case ok && (family == corev1.IPv4Protocol || family == corev1.IPv6Protocol):
		return family, true
	}
	return "", false
}

// desiredTargets computes a binding's desired targets for a family.
type desiredTargets func(family corev1.IPFamily) ([]targets.Target, error)

// changedWhileAway says whether a binding has something to write that the
// cache alone shows, so that it is synced before the bindings that only
// need their group verified. It errs towards yes: a wrong yes costs a
// place in line, a wrong no the time the verification of every group
// takes.
func changedWhileAway(tgb *v1alpha1.TargetGroupBinding, desired desiredTargets) bool {
	switch {
	case !tgb.DeletionTimestamp.IsZero():
		return true // its targets are to be removed
	case tgb.Spec.Paused:
		return false // a paused binding writes nothing
	}
	family, ok := checkpointFamily(tgb.Status.Checkpoint)
	if !ok {
		// tgc's finalizer goes on before its first write. Without it the
		// binding is new; with it, a tgc that kept no checkpoint synced it
		// (an upgrade), or it was never in sync in full: it is verified
		// with the rest, as it was before checkpoints, so that the first
		// start after an upgrade does not put every binding first.
		return !controllerutil.ContainsFinalizer(tgb, v1alpha1.Finalizer)
	}
	if tgb.Generation != tgb.Status.ObservedGeneration {
		return true // its spec was edited
	}
	ts, err := desired(family)
	if err != nil {
		return true // its sync says what is wrong, and soon
	}
	return checkpointOf(family, ts) != tgb.Status.Checkpoint
}

// desiredFromCache is desiredTargets for tgb as a sync computes them, from
// the informer cache and without AWS.
func (p *Planner) desiredFromCache(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) desiredTargets {
	return func(family corev1.IPFamily) ([]targets.Target, error) {
		eps, fail := p.desired(ctx, tgb, family)
		if fail != nil {
			return nil, fail
		}
		return eps.result.Targets, nil
	}
}
