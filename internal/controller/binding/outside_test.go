package binding

import (
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

func TestClassifyOutside(t *testing.T) {
	draining := []targets.Health{{Target: podTarget(ip2), State: targets.StateDraining}}
	cases := map[string]struct {
		before           []targets.Health
		after            []targets.Health
		plan             targets.Plan
		wantUnexpected   []string
		wantMissing      []string
		wantAdded        []string
		wantRemoved      []string
		wantDrift, wantF bool
	}{
		"nothing changed": {
			before: healthy(ip1), after: healthy(ip1),
		},
		"a target added by hand and deregistered again is drift": {
			before: healthy(ip1), after: healthy(ip1, other1),
			plan:           targets.Plan{Deregister: []targets.Target{podTarget(other1)}},
			wantUnexpected: tgs(other1), wantDrift: true,
		},
		"a target removed by hand and registered again is drift": {
			before: healthy(ip1, ip2), after: healthy(ip1),
			plan:        targets.Plan{Register: []targets.Target{podTarget(ip2)}},
			wantMissing: tgs(ip2), wantDrift: true,
		},
		"another owner's targets coming and going are foreign": {
			before: healthy(ip1, other1), after: healthy(ip1, other2),
			wantAdded: tgs(other2), wantRemoved: tgs(other1), wantF: true,
		},
		"a target that only changed health is no change": {
			before: healthy(ip1),
			after:  []targets.Health{{Target: podTarget(ip1), State: targets.StateUnhealthy}},
		},
		"a target leaving after tgc deregistered it is no change": {
			before: append(healthy(ip1), draining...), after: healthy(ip1),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := classifyOutside(targets.Members(tc.before), tc.after, tc.plan)
			for what, pair := range map[string][2][]string{
				"unexpected": {strs(o.unexpected), tc.wantUnexpected},
				"missing":    {strs(o.missing), tc.wantMissing},
				"added":      {strs(o.added), tc.wantAdded},
				"removed":    {strs(o.removed), tc.wantRemoved},
			} {
				if len(pair[0]) != 0 || len(pair[1]) != 0 {
					if !reflect.DeepEqual(pair[0], pair[1]) {
						t.Errorf("%s = %q, want %q", what, pair[0], pair[1])
					}
				}
			}
			if o.drift() != tc.wantDrift || o.foreign() != tc.wantF {
				t.Errorf("drift %v, foreign %v; want %v, %v", o.drift(), o.foreign(), tc.wantDrift, tc.wantF)
			}
		})
	}
}

// TestSyncCountsForeignChangesWithoutCorrectingThem: in a group shared by
// clusters, the other cluster's targets come and go at its drift check;
// tgc counts them as foreign, writes nothing and announces no drift.
func TestSyncCountsForeignChangesWithoutCorrectingThem(t *testing.T) {
	w := synced(t, fake.Config{}, ready(ip1, ip2), multiCluster)
	w.aws.SetTargets(arnA, healthy(ip1, ip2, other1, other2)...)
	w.clock.Step(5*time.Minute + time.Second)
	w.mustReconcile("tgb")
	w.aws.SetTargets(arnA, healthy(ip1, ip2, other2)...)
	w.clock.Step(5*time.Minute + time.Second)
	w.mustReconcile("tgb")

	if got := w.writes(); len(got) != 0 {
		t.Errorf("AWS writes = %q, want none: the targets are another owner's", got)
	}
	if evs := w.events(); hasEvent(evs, "Warning DriftDetected") {
		t.Errorf("a foreign change was announced as drift: %q", evs)
	}
	foreign := w.c.metrics.foreignChanges
	if got := testutil.ToFloat64(foreign.WithLabelValues(ns, "tgb", "added")); got != 2 {
		t.Errorf("foreign targets added = %v, want 2", got)
	}
	if got := testutil.ToFloat64(foreign.WithLabelValues(ns, "tgb", "removed")); got != 1 {
		t.Errorf("foreign targets removed = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(w.c.metrics.driftCorrections); n != 0 {
		t.Errorf("drift corrections have %d series, want none", n)
	}
	if n := testutil.CollectAndCount(w.c.metrics.foreignWrites); n != 0 {
		t.Errorf("another cluster's targets counted as foreign writes: %d series", n)
	}
	if c := meta.FindStatusCondition(w.binding("tgb").Status.Conditions, v1alpha1.ConditionForeignWriter); c != nil {
		t.Errorf("another cluster's targets set %+v", c)
	}
}
