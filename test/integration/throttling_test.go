package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// Not parallel: it throttles the shared emulator, which Go runs before the
// parallel tests resume.
func TestAThrottlingStormEndsConvergedAndQuiet(t *testing.T) {
	e := newEnv(t)
	const groups = 3
	arns := make([]string, groups)
	for i := range arns {
		arns[i] = e.targetGroup()
	}
	// Far below what the controller's own buckets allow (4/s, burst 20), so
	// AWS throttles and the SDK and workqueue have to back off.
	shared.emu.SetThrottle(emulator.Throttle{
		Register:   emulator.RateLimit{PerSecond: 1, Burst: 1},
		Deregister: emulator.RateLimit{PerSecond: 1, Burst: 1},
		Describe:   emulator.RateLimit{PerSecond: 2, Burst: 2},
		Modify:     emulator.RateLimit{PerSecond: 1, Burst: 1},
	})
	t.Cleanup(func() { shared.emu.SetThrottle(emulator.Throttle{Disabled: true}) })

	ips := func(round, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("10.244.%d.%d", 150+round, i+1))
		}
		return out
	}
	for i, arn := range arns {
		svc := fmt.Sprintf("storm-%d", i)
		e.selectorlessService(svc, 80)
		e.slice(svc, svc+"-1", 8080, ips(0, 30)...)
		e.binding(svc, svc, intstr.FromInt32(80), arn)
	}
	ctl := e.startController(e.controllerOptions())

	// Endpoints churn while AWS throttles.
	const rounds = 4
	for round := 1; round <= rounds; round++ {
		for i := range arns {
			e.slice(fmt.Sprintf("storm-%d", i), fmt.Sprintf("storm-%d-1", i), 8080, ips(round, 30)...)
		}
		time.Sleep(300 * time.Millisecond)
	}
	final := func() []string {
		var out []string
		for _, ip := range ips(rounds, 30) {
			out = append(out, ip+":8080")
		}
		slices.Sort(out)
		return out
	}
	// Polling AWS would compete with the controller for the tiny Describe
	// budget, so wait on the bindings' status first and check AWS only when
	// the status says synced.
	start := time.Now()
	e.eventually(90*time.Second, "every group to hold the final targets", func() (bool, string) {
		time.Sleep(time.Second)
		for i := range arns {
			st := e.getBinding(fmt.Sprintf("storm-%d", i)).Status
			if st.Targets.Desired != 30 || st.Targets.Registered != 30 {
				return false, fmt.Sprintf("storm-%d status %+v", i, st.Targets)
			}
		}
		for _, arn := range arns {
			if got, want := e.members(arn), final(); fmt.Sprint(got) != fmt.Sprint(want) {
				return false, fmt.Sprintf("%s holds %v", arn, got)
			}
		}
		return true, ""
	})
	t.Logf("converged %s after the last change", time.Since(start))

	throttled := 0
	for _, c := range shared.emu.Calls() {
		if c.Result == "Throttling" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatalf("the emulator throttled no call; the test did not make a storm")
	}
	if v, err := metricValue(ctl.registry, "tgc_aws_api_throttles_total", nil); err != nil || v == 0 {
		t.Errorf("tgc_aws_api_throttles_total = %v (%v), want the throttles counted", v, err)
	}

	// Converged means quiet: no more changes are sent once in sync.
	quiet := time.Now()
	time.Sleep(3 * time.Second)
	for _, arn := range arns {
		cs := calls(arn, quiet)
		if n := countCalls(cs, "RegisterTargets") + countCalls(cs, "DeregisterTargets"); n != 0 {
			t.Errorf("%s: %d Register/Deregister calls after convergence, want 0", arn, n)
		}
	}
	t.Logf("emulator throttled %d calls", throttled)
}
