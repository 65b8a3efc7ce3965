package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

// Blue/green through one ALB listener with weighted target groups: the
// blue and the green version each run as a Deployment with its Service and
// TargetGroupBinding (in a namespace per colour, each the scenarios' "web"
// app in tgc's recommended setup), each binding fills its own target
// group, and the listener's weights move the traffic over in steps while
// the load runs. Nothing may fail, and each step's requests must split as
// its weights say.

const (
	blueGreenReplicas = 2
	// blueGreenStep is how long each weight setting carries the load.
	blueGreenStep = time.Second
	// blueGreenSettle is left out of each step's count after
	// ModifyListener, so that requests picked under the previous weights
	// and answered after it do not blur the split.
	blueGreenSettle = 100 * time.Millisecond
	// blueGreenTolerance is how far a group's share of a step may be from
	// its weight's share. The emulator's weighted round robin is exact over
	// every window of sum(weights) requests; what is left is the window cut
	// at the step's edges.
	blueGreenTolerance = 0.05

	blueGreenBegin = "<!-- e2e-bluegreen:begin -->"
	blueGreenEnd   = "<!-- e2e-bluegreen:end -->"
)

// blueGreenWeights are the listener's weights, blue then green: the start
// and five steps from all blue to all green.
var blueGreenWeights = [][2]int32{{100, 0}, {80, 20}, {60, 40}, {40, 60}, {20, 80}, {0, 100}}

// colour is one version: its namespace and target group.
type colour struct {
	name, ns, group string
}

// blueGreenStepResult is what one weight setting carried.
type blueGreenStepResult struct {
	weights     [2]int32
	blue, green uint64 // requests per target group, from the emulator
}

func TestBlueGreenShiftsTrafficByListenerWeights(t *testing.T) {
	s := shared
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	started := time.Now()

	colours := []*colour{{name: "blue"}, {name: "green"}}
	var err error
	for _, c := range colours {
		if c.ns, err = s.cluster.CreateNamespace(ctx, "bluegreen-"+c.name); err != nil {
			t.Fatal(err)
		}
		ns := c.ns
		t.Cleanup(func() { _ = s.cluster.DeleteNamespace(context.Background(), ns) })
	}
	lb, err := createBlueGreen(ctx, s.elb, s.emu.ListenerAddr, colours)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lb.delete(context.Background(), s.elb, colours); err != nil {
			t.Logf("cleaning up: %v", err)
		}
	})

	// One controller watches both namespaces, as one tgc install does.
	logPath := filepath.Join(s.logDir, "TestBlueGreen.log")
	ctrl, err := s.controller.start(colours[0].ns+","+colours[1].ns, s.cluster.Kubeconfig, s.emu.URL(), logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctrl.stop(); err != nil {
			t.Error(err)
		}
	})
	recommended := setups()[0]
	for _, c := range colours {
		for _, o := range []client.Object{service(c.ns), binding(c.ns, c.group), deployment(c.ns, recommended, blueGreenReplicas)} {
			if err := s.kube.Create(ctx, o); err != nil {
				t.Fatalf("creating %T in %s: %v", o, c.ns, err)
			}
		}
		ns, group := c.ns, c.group
		// Runs before the controller stops: the finalizer needs it.
		t.Cleanup(func() { deleteBindingOf(t, s, ns, group) })
	}
	for _, c := range colours {
		if _, err := waitSettled(ctx, s.kube, s.elb, c.ns, c.group, ipTargets, blueGreenReplicas, 60*time.Second); err != nil {
			t.Fatalf("%s before the shift: %v\ncontroller log %s:\n%s", c.name, err, logPath, ctrl.LogTail(40))
		}
	}
	t.Logf("blue and green serve %d pods each after %s", blueGreenReplicas, time.Since(started).Round(time.Millisecond))

	gen := loadgen.New(loadgen.Config{URL: lb.URL, Rate: requestRate, Timeout: requestTimeout})
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan loadgen.Result, 1)
	before := s.emu.RequestCounts()
	loadStart := time.Now()
	go func() { loadDone <- gen.Run(loadCtx) }()
	steps, stepErr := shiftWeights(ctx, s, lb, colours)
	stopLoad()
	load := <-loadDone
	if stepErr != nil {
		t.Fatalf("shifting weights: %v", stepErr)
	}
	after := s.emu.RequestCounts()
	t.Logf("load: %s in %s", load, time.Since(loadStart).Round(time.Millisecond))

	l := countsDelta(before.Listeners[lb.ListenerARN], after.Listeners[lb.ListenerARN])
	blue, green := groupDelta(before, after, colours[0].group), groupDelta(before, after, colours[1].group)
	table := renderBlueGreen(steps, load, l, blue, green)
	t.Logf("per-group requests:\n%s", table)
	if n := len(load.Failures); n > 0 {
		t.Errorf("%d of %d requests failed (%s)\ncontroller log: %s", n, load.Sent, causes(load.Failures), logPath)
	}
	// Every request went through the listener and to one of the groups.
	if groups := blue.Total() + green.Total(); uint64(load.Sent) != l.Total() || l.Total() != groups {
		t.Errorf("load generator sent %d, the listener counted %d, the two groups %d", load.Sent, l.Total(), blue.Total()+green.Total())
	}
	for _, st := range steps {
		checkSplit(t, st)
	}
	for _, c := range colours {
		if _, err := waitSettled(ctx, s.kube, s.elb, c.ns, c.group, ipTargets, blueGreenReplicas, 10*time.Second); err != nil {
			t.Errorf("%s after the shift: %v", c.name, err)
		}
	}
	if path := os.Getenv("TGC_E2E_REPORT"); path != "" {
		writeBlueGreenReport(t, path, table)
	}
	t.Logf("blue/green scenario took %s", time.Since(started).Round(time.Millisecond))
}

// shiftWeights holds each weight setting for a step under the load and
// counts what each group received in it.
func shiftWeights(ctx context.Context, s *suite, lb blueGreenLB, colours []*colour) ([]blueGreenStepResult, error) {
	var out []blueGreenStepResult
	for i, w := range blueGreenWeights {
		if i > 0 {
			if err := lb.setWeights(ctx, s.elb, colours, w); err != nil {
				return out, err
			}
		}
		if !sleepCtx(ctx, blueGreenSettle) {
			return out, ctx.Err()
		}
		from := s.emu.RequestCounts()
		if !sleepCtx(ctx, blueGreenStep) {
			return out, ctx.Err()
		}
		to := s.emu.RequestCounts()
		out = append(out, blueGreenStepResult{
			weights: w,
			blue:    groupDelta(from, to, colours[0].group).Total(),
			green:   groupDelta(from, to, colours[1].group).Total(),
		})
	}
	return out, nil
}

func checkSplit(t *testing.T, st blueGreenStepResult) {
	t.Helper()
	total := st.blue + st.green
	if total == 0 {
		t.Errorf("weights %d/%d: no request counted", st.weights[0], st.weights[1])
		return
	}
	share := float64(st.blue) / float64(total)
	want := float64(st.weights[0]) / float64(st.weights[0]+st.weights[1])
	if math.Abs(share-want) > blueGreenTolerance {
		t.Errorf("weights %d/%d: blue got %d of %d requests (%.1f%%), want %.0f%% ± %.0f", st.weights[0], st.weights[1], st.blue, total, 100*share, 100*want, 100*blueGreenTolerance)
	}
	// A weight of 0 gets no new request at all.
	if (st.weights[0] == 0 && st.blue != 0) || (st.weights[1] == 0 && st.green != 0) {
		t.Errorf("weights %d/%d: a weight-0 group received requests (blue %d, green %d)", st.weights[0], st.weights[1], st.blue, st.green)
	}
}

// groupDelta is what a target group counted between two snapshots.
func groupDelta(before, after emulator.RequestCounts, arn string) emulator.Counts {
	return countsDelta(before.TargetGroups[arn], after.TargetGroups[arn])
}

func countsDelta(b, a emulator.Counts) emulator.Counts {
	return emulator.Counts{
		Success: a.Success - b.Success, Refused: a.Refused - b.Refused, ServerError: a.ServerError - b.ServerError,
		Timeout: a.Timeout - b.Timeout, Failed: a.Failed - b.Failed, NoTarget: a.NoTarget - b.NoTarget,
	}
}

func renderBlueGreen(steps []blueGreenStepResult, load loadgen.Result, listener, blue, green emulator.Counts) string {
	var b strings.Builder
	b.WriteString("| Step | Weights blue/green | Requests to blue | Requests to green |\n|---|---|---:|---:|\n")
	for i, st := range steps {
		fmt.Fprintf(&b, "| %d | %d/%d | %d | %d |\n", i, st.weights[0], st.weights[1], st.blue, st.green)
	}
	fmt.Fprintf(&b, "\nWhole run: %d requests sent at %d/s, %d failed; the listener counted %d (%d not successful), blue's group %d, green's group %d. ",
		load.Sent, requestRate, len(load.Failures), listener.Total(), listener.Total()-listener.Success, blue.Total(), green.Total())
	fmt.Fprintf(&b, "Each step's counts leave out the first %s after ModifyListener.\n", blueGreenSettle)
	return b.String()
}

// writeBlueGreenReport puts the table between its own markers of the
// report document, and nowhere else: a document without them keeps its
// content.
func writeBlueGreenReport(t *testing.T, path, table string) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(shared.root, path)
	}
	doc, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(doc), blueGreenBegin) {
		t.Logf("%s has no %s marker; the blue/green table is not written (%v)", path, blueGreenBegin, err)
		return
	}
	header := fmt.Sprintf("<!-- Generated by `TGC_E2E_REPORT=docs/zero-downtime.md go test -race -count=1 ./test/e2e/ -v` on %s. -->\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if err := writeReportSection(path, blueGreenBegin, blueGreenEnd, header+table); err != nil {
		t.Errorf("writing the blue/green report: %v", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// blueGreenLB is an ALB with one HTTP listener forwarding to the blue and
// the green target groups by weight.
type blueGreenLB struct {
	ARN, ListenerARN, URL string
}

func createBlueGreen(ctx context.Context, c *elbv2sdk.Client, addrOf listenerAddr, colours []*colour) (lb blueGreenLB, retErr error) {
	out, err := c.CreateLoadBalancer(ctx, &elbv2sdk.CreateLoadBalancerInput{
		Name: aws.String("e2e-bluegreen"), Type: types.LoadBalancerTypeEnumApplication,
		Subnets: []string{"subnet-0a1b2c3d", "subnet-1a2b3c4d"},
	})
	if err != nil {
		return lb, fmt.Errorf("creating the blue/green load balancer: %w", err)
	}
	lb.ARN = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, lb.delete(context.WithoutCancel(ctx), c, colours))
		}
	}()
	for _, col := range colours {
		if col.group, err = createTargetGroup(ctx, c, "e2e-bluegreen-"+col.name, ipGroup); err != nil {
			return lb, err
		}
	}
	lb.ListenerARN, lb.URL, err = listen(ctx, c, addrOf, lb.ARN, weightedForward(colours, blueGreenWeights[0]))
	return lb, err
}

func weightedForward(colours []*colour, w [2]int32) []types.Action {
	return []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{
		{TargetGroupArn: aws.String(colours[0].group), Weight: aws.Int32(w[0])},
		{TargetGroupArn: aws.String(colours[1].group), Weight: aws.Int32(w[1])},
	}}}}
}

func (lb blueGreenLB) setWeights(ctx context.Context, c *elbv2sdk.Client, colours []*colour, w [2]int32) error {
	if _, err := c.ModifyListener(ctx, &elbv2sdk.ModifyListenerInput{ListenerArn: aws.String(lb.ListenerARN), DefaultActions: weightedForward(colours, w)}); err != nil {
		return fmt.Errorf("setting weights %d/%d on %s: %w", w[0], w[1], lb.ListenerARN, err)
	}
	return nil
}

// delete removes the load balancer, and with it the listener, then the
// groups, which AWS refuses to delete while a listener forwards to them.
func (lb blueGreenLB) delete(ctx context.Context, c *elbv2sdk.Client, colours []*colour) error {
	errs := []error{loadBalancer{ARN: lb.ARN}.delete(ctx, c)}
	for _, col := range colours {
		errs = append(errs, loadBalancer{TargetGroupARN: col.group}.delete(ctx, c))
	}
	return errors.Join(errs...)
}
