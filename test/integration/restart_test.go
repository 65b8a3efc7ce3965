package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// After a restart every group is read once (the verification), at the
// Describe pace. A binding whose endpoint changed while tgc was down is
// synced first, its group read and then written, and the rest verified
// after. The changed binding is the last by name, which is the order the
// informers' initial list queues bindings in: without the start-up order
// its change would land after every other group was read.
func TestRestartWritesAChangeMadeWhileDownBeforeVerifyingTheRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 30
	ip := func(i, j int) string { return fmt.Sprintf("10.244.%d.%d", 200+i, j) }
	arns := make([]string, n)
	name := func(i int) string { return fmt.Sprintf("restart-%02d", i) }
	for i := range n {
		// No listener: health checks do not matter here, and each costs
		// the emulator a prober.
		arns[i] = e.TargetGroup(&elb.CreateTargetGroupInput{
			Name: aws.String(uniq("rs")), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
			VpcId: aws.String("vpc-0a1b2c3d4e5f60718"), TargetType: elbtypes.TargetTypeEnumIp,
		})
		e.selectorlessService(name(i), 80)
		e.slice(name(i), name(i), 8080, ip(i, 1), ip(i, 2))
		e.binding(name(i), name(i), intstr.FromInt32(80), arns[i])
	}
	first := e.startController(e.controllerOptions())
	e.eventually(60*time.Second, "every binding synced in full once", func() (bool, string) {
		for i := range n {
			if b := e.getBinding(name(i)); b.Status.Checkpoint == "" {
				return false, name(i) + " has no checkpoint yet"
			}
		}
		return true, ""
	})
	first.stop()

	// While tgc is down, one endpoint of the last binding turns not ready.
	changed := n - 1
	e.slice(name(changed), name(changed), 8080, ip(changed, 1))
	restart := time.Now()
	o := e.controllerOptions()
	// 10 reads a second after a burst of 1: verifying the 30 groups takes
	// about 3 s, so the order of the reads is plain in the call log.
	o.Limits.Describe = elbv2.Bucket{Rate: 10, Burst: 1}
	e.startController(o)
	e.waitMembers(arns[changed], func() []string { return []string{ip(changed, 1) + ":8080"} }, 30*time.Second)
	e.eventually(30*time.Second, "every group read again since the restart", func() (bool, string) {
		read := readSince(arns, restart)
		return len(read) == n, fmt.Sprintf("%d of %d groups read", len(read), n)
	})

	var log []emulator.Call
	for _, c := range shared.emu.Calls() {
		if c.Time.After(restart) && slices.Contains(arns, c.TargetGroupARN) {
			log = append(log, c)
		}
	}
	write := slices.IndexFunc(log, func(c emulator.Call) bool {
		return c.TargetGroupARN == arns[changed] && c.Action == "DeregisterTargets" && c.Result == "OK"
	})
	if write < 0 {
		t.Fatalf("no DeregisterTargets of %s since the restart", arns[changed])
	}
	readFirst := slices.IndexFunc(log[:write], func(c emulator.Call) bool {
		return c.TargetGroupARN == arns[changed] && c.Action == "DescribeTargetHealth" && c.Result == "OK"
	})
	if readFirst < 0 {
		t.Errorf("the changed group was written before tgc read it since the restart")
	}
	others := readSince(arns, time.Time{}, log[:write]...)
	delete(others, arns[changed])
	// The start-up order runs once the caches synced, while the workers
	// already take the first bindings: a read or two may go before.
	if len(others) > 3 {
		t.Errorf("%d of the %d other groups were read before the change was written, want at most 3: the change waited for the verification", len(others), n-1)
	}
	t.Logf("groups read before the change was written: %d of %d; calls since the restart: %v", len(others), n-1, harness.CountCalls(log))
}

// readSince is the set of groups among arns with a DescribeTargetHealth
// that succeeded after since: in calls when given, else in the emulator's
// whole log.
func readSince(arns []string, since time.Time, calls ...emulator.Call) map[string]bool {
	if calls == nil {
		calls = shared.emu.Calls()
	}
	read := map[string]bool{}
	for _, c := range calls {
		if c.Action == "DescribeTargetHealth" && c.Result == "OK" && c.Time.After(since) && slices.Contains(arns, c.TargetGroupARN) {
			read[c.TargetGroupARN] = true
		}
	}
	return read
}
