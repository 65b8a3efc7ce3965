package integration

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// These tests pin down the work an endpoint change does not cause: a sync
// per own status write, a status write per sync that found nothing new,
// and a health read right after a write.

// bindingReconciles is controller-runtime's count of binding syncs. It
// lives in controller-runtime's process-wide registry, which every
// in-process controller shares, so the test that reads it does not run in
// parallel with others.
func bindingReconciles(t *testing.T) float64 {
	t.Helper()
	reg, ok := ctrlmetrics.Registry.(*prometheus.Registry)
	if !ok {
		t.Fatalf("controller-runtime's registry is a %T", ctrlmetrics.Registry)
	}
	v, err := metricValue(reg, "controller_runtime_reconcile_total", map[string]string{"controller": "targetgroupbinding"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// settledReconciles waits until the binding controller has not synced for
// a while and returns its count.
func (e *env) settledReconciles(quiet time.Duration) float64 {
	e.t.Helper()
	last := bindingReconciles(e.t)
	e.eventually(10*time.Second, "the binding controller to go quiet", func() (bool, string) {
		time.Sleep(quiet)
		now := bindingReconciles(e.t)
		settled := now == last
		last = now
		return settled, ""
	})
	return last
}

func (e *env) annotateBinding(name, key, value string) {
	e.t.Helper()
	b := e.getBinding(name)
	patch := client.MergeFrom(b.DeepCopy())
	if b.Annotations == nil {
		b.Annotations = map[string]string{}
	}
	b.Annotations[key] = value
	if err := e.kube.Patch(e.ctx, b, patch); err != nil {
		e.t.Fatal(err)
	}
}

// Not parallel: it reads the process-wide reconcile count.
func TestAStatusWriteOrAnUnreadAnnotationCausesNoSyncButAConfirmationDoes(t *testing.T) {
	e := newEnv(t)
	arn := e.targetGroup()
	e.app("web", 0, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	e.startController(e.controllerOptions())
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 15*time.Second)
	const quiet = 700 * time.Millisecond
	before := e.settledReconciles(quiet)

	// A status write as tgc makes it: counts and lastSyncTime.
	b := e.getBinding("web")
	patch := client.MergeFrom(b.DeepCopy())
	now := metav1.NewTime(time.Now().Add(-time.Hour))
	b.Status.LastSyncTime = &now
	b.Status.Targets.Unavailable = 1
	if err := e.kube.Status().Patch(e.ctx, b, patch); err != nil {
		t.Fatal(err)
	}
	e.annotateBinding("web", "example.com/owner", "payments")
	time.Sleep(2 * quiet)
	if got := bindingReconciles(t); got != before {
		t.Fatalf("a status write and an annotation tgc does not read caused %v syncs, want none", got-before)
	}

	// The same count sees a sync: confirming a held deregistration is an
	// annotation tgc acts on, which moves no generation.
	e.annotateBinding("web", v1alpha1.ConfirmDeregistrationAnnotation, "0")
	e.eventually(5*time.Second, "a sync after the confirmation annotation", func() (bool, string) {
		return bindingReconciles(t) > before, ""
	})
}

func TestADriftCheckThatFindsNothingNewWritesNoStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	e.app("web", 0, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	// Every sync reads the group back: each is a sync that touched AWS
	// and found the group in sync.
	o.DriftInterval = 250 * time.Millisecond
	ctl := e.startController(o)
	tgb := e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 15*time.Second)
	if tgb.Status.LastSyncTime == nil {
		t.Fatal("no lastSyncTime after the first sync")
	}
	describes := func() float64 {
		v, _ := metricValue(ctl.registry, "tgc_aws_api_calls_total", map[string]string{"operation": "DescribeTargetHealth"})
		return v
	}
	reads := describes()
	time.Sleep(2 * time.Second)
	if n := describes() - reads; n < 3 {
		t.Fatalf("%v drift reads in 2 s at a 250 ms drift interval; the test did not make syncs that touch AWS", n)
	}
	after := e.getBinding("web")
	if after.ResourceVersion != tgb.ResourceVersion {
		t.Errorf("status written while nothing a user reads changed: lastSyncTime %v -> %v, resourceVersion %s -> %s",
			tgb.Status.LastSyncTime, after.Status.LastSyncTime, tgb.ResourceVersion, after.ResourceVersion)
	}
}

func TestAnEndpointChangeIsWrittenWithNoHealthReadRightAfterIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("web", 1, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	const poll = 3 * time.Second
	o.HealthPollInterval = poll
	ctl := e.startController(o)
	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.eventually(15*time.Second, "status to count the first target healthy", func() (bool, string) {
		c := e.getBinding("web").Status.Targets
		return c.Healthy == 1, ""
	})
	describes := func() float64 {
		v, _ := metricValue(ctl.registry, "tgc_aws_api_calls_total", map[string]string{"operation": "DescribeTargetHealth"})
		return v
	}
	// The last read is a poll interval old by the time the change is
	// written, so a poll after the write would be due at once.
	time.Sleep(poll)

	reads := describes()
	e.scale("web", 2)
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.eventually(5*time.Second, "status to count the new target initial or healthy", func() (bool, string) {
		c := e.getBinding("web").Status.Targets
		return c.Registered == 2, ""
	})
	if n := describes() - reads; n != 0 {
		t.Errorf("%v DescribeTargetHealth right after the write; the view already says the new target is initial", n)
	}
	// The health poll interval later, the poll says what AWS found.
	e.eventually(3*poll, "status to count both targets healthy", func() (bool, string) {
		c := e.getBinding("web").Status.Targets
		return c.Healthy == 2, ""
	})
}
