package binding

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
)

func (w *world) foreignWriter(name string) *metav1.Condition {
	w.t.Helper()
	return meta.FindStatusCondition(w.binding(name).Status.Conditions, v1alpha1.ConditionForeignWriter)
}

// driftCheck runs the next drift check after another writer left the group
// holding ips.
func (w *world) driftCheck(ips ...string) {
	w.t.Helper()
	w.aws.SetTargets(arnA, healthy(ips...)...)
	w.clock.Step(5*time.Minute + time.Second)
	w.mustReconcile("tgb")
}

func TestAWriterThatComesBackWithinAnHourIsNamed(t *testing.T) {
	w := synced(t, fake.Config{}, ready(ip1, ip2))

	// Once: corrected and counted, but one change may be a person fixing
	// something by hand.
	w.driftCheck(ip1, ip2, other1)
	if got := testutil.ToFloat64(w.c.metrics.foreignWrites.WithLabelValues(ns, "tgb")); got != 1 {
		t.Errorf("tgc_foreign_writes_corrected_total = %v after one change, want 1", got)
	}
	if c := w.foreignWriter("tgb"); c != nil {
		t.Errorf("ForeignWriter after one change = %+v, want none", c)
	}

	// Again within the hour: the binding says so, naming the targets.
	w.driftCheck(ip1)
	if got := testutil.ToFloat64(w.c.metrics.foreignWrites.WithLabelValues(ns, "tgb")); got != 2 {
		t.Errorf("tgc_foreign_writes_corrected_total = %v after two changes, want 2", got)
	}
	c := w.foreignWriter("tgb")
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonRepeatedForeignWrites {
		t.Fatalf("ForeignWriter after a second change = %+v, want True/%s", c, v1alpha1.ReasonRepeatedForeignWrites)
	}
	for _, want := range []string{"0 targets were added (none) and 1 removed (" + tg(ip2) + ")", "CloudTrail"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("ForeignWriter message %q does not say %q", c.Message, want)
		}
	}
	if got := w.ready("tgb"); got != "True/"+v1alpha1.ReasonSynced {
		t.Errorf("Ready = %s; a foreign writer is told apart from the sync's own state", got)
	}

	// An hour of peace turns it False.
	for range 13 {
		w.driftCheck(ip1, ip2)
	}
	c = w.foreignWriter("tgb")
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != v1alpha1.ReasonNoRecentForeignWrites {
		t.Errorf("ForeignWriter after an hour without changes = %+v, want False/%s", c, v1alpha1.ReasonNoRecentForeignWrites)
	}
}

func TestChangesMoreThanAnHourApartAreNotAFight(t *testing.T) {
	w := synced(t, fake.Config{}, ready(ip1, ip2))
	w.driftCheck(ip1, ip2, other1)
	w.clock.Step(time.Hour)
	w.driftCheck(ip1, ip2, other1)
	if c := w.foreignWriter("tgb"); c != nil {
		t.Errorf("ForeignWriter = %+v after two changes an hour apart, want none", c)
	}
}
