package binding

import (
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
)

func pause(b *v1alpha1.TargetGroupBinding)  { b.Spec.Paused = true }
func resume(b *v1alpha1.TargetGroupBinding) { b.Spec.Paused = false }

// The guard: with the paused branch of sync switched off, the first
// reconcile after the endpoint change writes, and this test fails.
func TestAPausedBindingMakesNoAWSWritesAndResumesCleanly(t *testing.T) {
	w := synced(t, fake.Config{}, ready(ip1, ip2))
	w.update("tgb", pause)
	w.setEndpoints(ready(ip2, ip3))
	w.aws.ResetCalls()
	w.events()

	w.mustReconcile("tgb")

	if got := w.writes(); len(got) != 0 {
		t.Fatalf("a paused binding wrote to AWS: %q", got)
	}
	if got, want := w.ready("tgb"), "False/"+v1alpha1.ReasonPaused; got != want {
		t.Errorf("Ready = %s, want %s", got, want)
	}
	msg := readyCondition(w.binding("tgb")).Message
	for _, want := range []string{"would register 1 and deregister 1 targets", "terminating pods stay registered", "readiness gates stay as they are", "kubectl tgc resume tgb"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not say %q", msg, want)
		}
	}
	if evs := w.events(); !hasEvent(evs, "Warning Paused", "terminating pods stay registered") {
		t.Errorf("no Warning Paused Event naming the costs in %q", evs)
	}
	if got := testutil.ToFloat64(w.c.metrics.paused.WithLabelValues(ns, "tgb")); got != 1 {
		t.Errorf("tgc_binding_paused = %v, want 1", got)
	}
	if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
		t.Errorf("members while paused = %q, want the group untouched %q", got, want)
	}

	// A second sync while paused announces nothing new.
	w.mustReconcile("tgb")
	if evs := w.events(); hasEvent(evs, "Warning Paused") {
		t.Errorf("the pause was announced again: %q", evs)
	}

	w.update("tgb", resume)
	w.mustReconcile("tgb")

	if got, want := w.writes(), []string{dereg("A", ip1), reg("A", ip3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("writes after resuming = %q, want %q", got, want)
	}
	if got, want := w.ready("tgb"), "True/"+v1alpha1.ReasonSynced; got != want {
		t.Errorf("Ready after resuming = %s, want %s", got, want)
	}
	if evs := w.events(); !hasEvent(evs, "Normal Resumed") {
		t.Errorf("no Normal Resumed Event in %q", evs)
	}
	if got := testutil.ToFloat64(w.c.metrics.paused.WithLabelValues(ns, "tgb")); got != 0 {
		t.Errorf("tgc_binding_paused after resuming = %v, want 0", got)
	}
}

func TestAPausedBindingSaysWhyASyncWouldStop(t *testing.T) {
	w := synced(t, fake.Config{}, ready(ip1, ip2))
	w.update("tgb", func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.Paused = true
		b.Spec.ServiceRef.Port.IntVal = 81
	})
	w.aws.ResetCalls()

	w.mustReconcile("tgb")

	if got := w.writes(); len(got) != 0 {
		t.Fatalf("a paused binding wrote to AWS: %q", got)
	}
	if got, want := w.ready("tgb"), "False/"+v1alpha1.ReasonPaused; got != want {
		t.Errorf("Ready = %s, want %s", got, want)
	}
	if msg := readyCondition(w.binding("tgb")).Message; !strings.Contains(msg, "a sync would stop now with "+v1alpha1.ReasonPortNotFound) {
		t.Errorf("Ready message %q does not say a sync would stop with %s", msg, v1alpha1.ReasonPortNotFound)
	}
}

func TestDeletingAPausedBindingLeavesItsTargets(t *testing.T) {
	w := synced(t, fake.Config{}, ready(ip1, ip2))
	w.update("tgb", pause)
	w.mustReconcile("tgb")
	w.aws.ResetCalls()
	w.events()

	if err := w.kube.Delete(w.ctx, w.binding("tgb")); err != nil {
		t.Fatal(err)
	}
	w.mustReconcile("tgb")

	if !w.gone("tgb") {
		t.Errorf("binding still exists: finalizers %v", w.binding("tgb").Finalizers)
	}
	if got := w.writes(); len(got) != 0 {
		t.Errorf("deleting a paused binding wrote to AWS: %q", got)
	}
	if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
		t.Errorf("members = %q, want %q left in place", got, want)
	}
	if evs := w.events(); !hasEvent(evs, "Warning Retained", "while paused") {
		t.Errorf("no Warning Retained Event in %q", evs)
	}
}
