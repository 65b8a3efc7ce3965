package binding

import (
	"errors"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

func TestChangedWhileAway(t *testing.T) {
	ip := func(addr string, port int32) targets.Target {
		tg, err := targets.Parse(addr + ":" + strconv.Itoa(int(port)))
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	a, b := ip("10.0.0.1", 8080), ip("10.0.0.2", 8080)
	synced := checkpointOf(corev1.IPv4Protocol, []targets.Target{a, b})
	now := metav1.Now()

	cases := map[string]struct {
		generation, observed int64
		checkpoint           string
		paused               bool
		claimed              bool // carries tgc's finalizer
		deleting             bool
		desired              []targets.Target
		desiredErr           error
		want                 bool
	}{
		"a new binding, without tgc's finalizer yet, goes first": {checkpoint: "", desired: []targets.Target{a}, want: true},
		"a binding a tgc without checkpoints synced (an upgrade) is verified with the rest": {
			claimed: true, checkpoint: "", desired: []targets.Target{a}, want: false},
		"a claimed binding with no status at all is verified with the rest": {
			generation: 1, observed: 0, claimed: true, checkpoint: "", desired: []targets.Target{a}, want: false},
		"the same targets in another order only need verifying": {
			claimed: true, checkpoint: synced, desired: []targets.Target{b, a}, want: false},
		"an endpoint added while away goes first": {
			claimed: true, checkpoint: synced, desired: []targets.Target{a, b, ip("10.0.0.3", 8080)}, want: true},
		"an endpoint removed (turned not ready) while away goes first": {
			claimed: true, checkpoint: synced, desired: []targets.Target{a}, want: true},
		"every endpoint gone goes first": {claimed: true, checkpoint: synced, desired: nil, want: true},
		"the same addresses on another port go first": {
			claimed: true, checkpoint: synced, desired: []targets.Target{ip("10.0.0.1", 9090), ip("10.0.0.2", 9090)}, want: true},
		"a spec edited while away goes first, whatever the targets": {
			generation: 2, observed: 1, claimed: true, checkpoint: synced, desired: []targets.Target{a, b}, want: true},
		"a paused binding writes nothing, so it waits with the rest": {
			paused: true, claimed: true, checkpoint: synced, desired: []targets.Target{a}, want: false},
		"a binding being deleted has targets to remove, so it goes first": {
			deleting: true, claimed: true, checkpoint: synced, desired: []targets.Target{a, b}, want: true},
		"desired targets that cannot be worked out go first, to report why": {
			claimed: true, checkpoint: synced, desiredErr: errors.New("Service missing"), want: true},
		"a checkpoint tgc did not write, on a new binding, counts as none": {
			checkpoint: "hand-edited", desired: []targets.Target{a, b}, want: true},
		"a checkpoint tgc did not write, on a claimed binding, is verified with the rest": {
			claimed: true, checkpoint: "hand-edited", desired: []targets.Target{a, b}, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tgb := &v1alpha1.TargetGroupBinding{}
			tgb.Generation, tgb.Status.ObservedGeneration = tc.generation, tc.observed
			tgb.Status.Checkpoint = tc.checkpoint
			tgb.Spec.Paused = tc.paused
			if tc.claimed {
				tgb.Finalizers = []string{v1alpha1.Finalizer}
			}
			if tc.deleting {
				tgb.DeletionTimestamp = &now
			}
			asked := corev1.IPFamily("")
			got := changedWhileAway(tgb, func(f corev1.IPFamily) ([]targets.Target, error) {
				asked = f
				return tc.desired, tc.desiredErr
			})
			if got != tc.want {
				t.Errorf("changedWhileAway = %v, want %v", got, tc.want)
			}
			if asked != "" && asked != corev1.IPv4Protocol {
				t.Errorf("desired targets computed for %q, want the checkpoint's family IPv4", asked)
			}
		})
	}
}

func TestCheckpointKeepsTheFamily(t *testing.T) {
	for _, f := range []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol} {
		got, ok := checkpointFamily(checkpointOf(f, nil))
		if !ok || got != f {
			t.Errorf("family of a %s checkpoint = %q, %v", f, got, ok)
		}
	}
	if checkpointOf(corev1.IPv4Protocol, nil) == checkpointOf(corev1.IPv6Protocol, nil) {
		t.Errorf("empty IPv4 and IPv6 checkpoints are equal; a family change would go unseen")
	}
}
