package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// writesAfter returns the calls on arn since t, failing the test when a
// Describe call came before the first write: a change must be planned from
// tgc's cached view, not from a read.
func writesAfter(t *testing.T, arn string, since time.Time) []emulator.Call {
	t.Helper()
	var writes []emulator.Call
	for _, c := range calls(arn, since) {
		switch {
		case c.Action == "RegisterTargets" || c.Action == "DeregisterTargets":
			writes = append(writes, c)
		case strings.HasPrefix(c.Action, "Describe") && len(writes) == 0:
			t.Errorf("%s at %s came before the change's write", c.Action, c.Time.Format(time.StampMicro))
		}
	}
	return writes
}

func TestAnEndpointChangeIsExactlyOneWriteWithNoReadBeforeIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	e.selectorlessService("flip", 80)
	ips := []string{"10.244.230.1", "10.244.230.2", "10.244.230.3"}
	e.slice("flip", "flip-1", 8080, ips...)
	e.binding("flip", "flip", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	// No status polls: every Describe call in a step then belongs to it.
	o.HealthPollInterval = time.Hour
	e.startController(o)
	targetsOf := func(ips []string) []string {
		out := make([]string, len(ips))
		for i, ip := range ips {
			out[i] = ip + ":8080"
		}
		slices.Sort(out)
		return out
	}
	e.waitMembers(arn, func() []string { return targetsOf(ips) }, 15*time.Second)

	more := append(slices.Clone(ips), "10.244.230.4")
	// In order: each step starts from the one before.
	steps := []struct {
		name   string
		ips    []string
		action string
	}{
		{"an endpoint turning ready is one RegisterTargets", more, "RegisterTargets"},
		{"an endpoint leaving is one DeregisterTargets", ips, "DeregisterTargets"},
		{"an endpoint coming back is one RegisterTargets again", more, "RegisterTargets"},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			time.Sleep(500 * time.Millisecond) // the previous step's calls are over
			since := time.Now()
			e.slice("flip", "flip-1", 8080, step.ips...)
			// Watch the emulator's log rather than reading the group: the
			// test's own DescribeTargetHealth calls would land in the log.
			e.eventually(10*time.Second, "the change's write", func() (bool, string) {
				cs := calls(arn, since)
				return countCalls(cs, step.action) > 0, fmt.Sprintf("%+v", cs)
			})
			time.Sleep(300 * time.Millisecond) // any second write would have landed by now
			writes := writesAfter(t, arn, since)
			if len(writes) != 1 || writes[0].Action != step.action || writes[0].Targets != 1 {
				t.Errorf("writes after the change = %+v, want one %s of one target", writes, step.action)
			}
			e.waitMembers(arn, func() []string { return targetsOf(step.ips) }, 5*time.Second)
		})
	}
}

func TestARegistrationWaitingForTokensDoesNotHoldUpADeregistration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arnA, arnB := e.targetGroup(), e.targetGroup()
	e.selectorlessService("wait-a", 80)
	e.selectorlessService("wait-b", 80)
	e.slice("wait-a", "wait-a-1", 8080, "10.244.231.1")
	e.slice("wait-b", "wait-b-1", 8080, "10.244.232.1", "10.244.232.2")
	e.binding("wait-a", "wait-a", intstr.FromInt32(80), arnA)
	e.binding("wait-b", "wait-b", intstr.FromInt32(80), arnB)
	o := e.controllerOptions()
	// One worker and two register tokens, the next one 100 s away: a worker
	// that waited for it would hold every other binding for 100 s.
	o.MaxConcurrentReconciles = 1
	o.Limits.Register = elbv2.Bucket{Rate: 0.01, Burst: 2}
	e.startController(o)
	e.waitMembers(arnA, func() []string { return []string{"10.244.231.1:8080"} }, 15*time.Second)
	e.waitMembers(arnB, func() []string { return []string{"10.244.232.1:8080", "10.244.232.2:8080"} }, 15*time.Second)

	e.slice("wait-a", "wait-a-1", 8080, "10.244.231.1", "10.244.231.2")
	time.Sleep(500 * time.Millisecond) // wait-a's sync defers its write
	removed := time.Now()
	e.slice("wait-b", "wait-b-1", 8080, "10.244.232.1")
	e.waitMembers(arnB, func() []string { return []string{"10.244.232.1:8080"} }, 5*time.Second)
	t.Logf("deregistration landed %s after the slice write", time.Since(removed).Round(time.Millisecond))

	if got := e.members(arnA); !slices.Equal(got, []string{"10.244.231.1:8080"}) {
		t.Errorf("wait-a's group holds %v; its second target must still wait for a register token", got)
	}
	// Waiting for tokens is progress, not a failure.
	e.eventually(5*time.Second, "wait-a to stay Ready", func() (bool, string) {
		c := meta.FindStatusCondition(e.getBinding("wait-a").Status.Conditions, v1alpha1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonSynced, fmt.Sprintf("%+v", c)
	})
}
