package binding

import (
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// foreignWriterWindow is how soon a second change by another writer makes
// the ForeignWriter condition True, and how long after the last one it
// stays True. One change is often a person fixing something by hand once;
// two within an hour are a writer that keeps coming back, such as a
// Terraform run or another controller that owns the same group.
const foreignWriterWindow = time.Hour

// foreignWrite is a change another writer made to the binding's targets,
// found by the drift check and undone by the sync's plan.
type foreignWrite struct {
	// added by the other writer (tgc deregisters them again) and removed
	// by it (tgc registers them again).
	added, removed []targets.Target
	// repeated: the previous one was less than foreignWriterWindow ago.
	repeated bool
}

// foreignWrites remembers, in memory, when each binding's group was last
// changed by another writer.
type foreignWrites struct {
	mu   sync.Mutex
	last map[types.NamespacedName]time.Time
}

func newForeignWrites() *foreignWrites {
	return &foreignWrites{last: map[types.NamespacedName]time.Time{}}
}

// note records a foreign write at now and reports whether the previous one
// was within the window.
func (f *foreignWrites) note(key types.NamespacedName, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev, ok := f.last[key]
	f.last[key] = now
	return ok && now.Sub(prev) < foreignWriterWindow
}

// lastAt is when the binding's group was last changed by another writer,
// as far as this process saw; zero when it saw none.
func (f *foreignWrites) lastAt(key types.NamespacedName) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[key]
}

func (f *foreignWrites) forget(key types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.last, key)
}

// foreignWriterCondition is the ForeignWriter condition a sync writes, or
// nil to leave the conditions as they are. It turns True on a repeated
// foreign write, and False once the last one seen (last, or when the
// condition turned True if this process saw none) is a window old.
func foreignWriterCondition(prev *metav1.Condition, fw *foreignWrite, last, now time.Time, arn string, generation int64) *metav1.Condition {
	switch {
	case fw != nil && fw.repeated:
		return &metav1.Condition{Type: v1alpha1.ConditionForeignWriter, Status: metav1.ConditionTrue, ObservedGeneration: generation,
			Reason: v1alpha1.ReasonRepeatedForeignWrites, Message: foreignWriterMessage(fw, arn)}
	case prev == nil || prev.Status != metav1.ConditionTrue:
		return nil
	}
	if last.IsZero() {
		last = prev.LastTransitionTime.Time
	}
	if now.Sub(last) < foreignWriterWindow {
		return nil
	}
	return &metav1.Condition{Type: v1alpha1.ConditionForeignWriter, Status: metav1.ConditionFalse, ObservedGeneration: generation,
		Reason:  v1alpha1.ReasonNoRecentForeignWrites,
		Message: fmt.Sprintf("no change by another writer to target group %s for an hour", arn)}
}

// foreignWriterMessage names the targets and what to do.
func foreignWriterMessage(fw *foreignWrite, arn string) string {
	return fmt.Sprintf("target group %s was changed by another writer again within an hour; the last time %d targets were added (%s) and %d removed (%s), and tgc undid it. "+
		"Two writers are fighting over these targets, and each undo can cut traffic: find the other writer (CloudTrail's RegisterTargets and DeregisterTargets events on the group, a Terraform run, another controller) and stop it, "+
		"or set multiClusterTargetGroup on every binding of the group if another cluster shares it",
		arn, len(fw.added), orNone(fw.added), len(fw.removed), orNone(fw.removed))
}

func orNone(ts []targets.Target) string {
	if len(ts) == 0 {
		return "none"
	}
	return targetList(ts)
}
