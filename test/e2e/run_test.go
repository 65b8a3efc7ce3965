package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

// run is one scenario with one setup, on its own namespace, load balancer,
// target group and controller process.
type run struct {
	t        *testing.T
	ctx      context.Context
	s        *suite
	ns       string
	su       setup
	targets  targeting
	lb       loadBalancer
	logPath  string
	timeline *timeline

	mu   sync.Mutex
	ctrl *controller
	// webhook and args are the automatic setup's pod webhook and the
	// controller flags that serve it.
	webhook *harness.PodWebhook
	args    []string
	sc      scenario
	// extraLoad are the tallies of load a scenario adds to the run's own
	// (long requests); they count in the result, since the listener
	// counts them too.
	extraLoad []loadgen.Result
}

// result is what one run measured.
type result struct {
	scenario, setup string
	load            loadgen.Result
	duration        time.Duration
	// emulatorFailed counts the listener's non-success outcomes as the
	// emulator recorded them, to cross-check the load generator.
	emulatorSent, emulatorFailed uint64
}

func (r result) String() string {
	return fmt.Sprintf("scenario=%s setup=%s sent=%d failed=%d emulator_sent=%d emulator_failed=%d rate=%.0f/s duration=%s",
		r.scenario, r.setup, r.load.Sent, len(r.load.Failures), r.emulatorSent, r.emulatorFailed,
		float64(r.load.Sent)/r.duration.Seconds(), r.duration.Round(time.Millisecond))
}

// runScenario sets the app up with the setup, waits until it serves from
// every replica, then runs the scenario's action under steady load and
// waits until everything has settled again.
func runScenario(t *testing.T, s *suite, sc scenario, su setup) result {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	if sc.handPreStopSeconds > 0 && su.preStopSeconds > 0 {
		su.gracePeriodSeconds += sc.handPreStopSeconds - su.preStopSeconds
		su.preStopSeconds = sc.handPreStopSeconds
	}
	r := &run{t: t, ctx: ctx, s: s, ns: harness.Namespace(t, s.cluster), su: su, sc: sc}

	// The Service comes first: an instance group's health check may
	// point at the port the API server allocates it.
	svc := service(r.ns)
	group := ipGroup
	if sc.instance != nil {
		sc.instance.shape(svc)
	}
	if sc.ipv6 {
		dualStack(svc)
		group = ipv6Group
	}
	if err := s.kube.Create(ctx, svc); err != nil {
		t.Fatalf("creating the service: %v", err)
	}
	r.targets = targeting{instance: sc.instance, nodePort: svc.Spec.Ports[0].NodePort, ipv6: sc.ipv6}
	if sc.instance != nil {
		group = sc.instance.group(svc, su)
	}
	if sc.profile != nil {
		base := s.emu.Profile()
		s.emu.SetProfile(sc.profile(base))
		t.Cleanup(func() { s.emu.SetProfile(base) })
	}
	var err error
	r.lb, err = createLoadBalancer(ctx, s.elb, s.emu.ListenerAddr, fmt.Sprintf("e2e-%s-%s", sc.short, su.name[:5]), group)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.lb.delete(context.Background(), s.elb); err != nil {
			t.Logf("cleaning up: %v", err)
		}
	})
	if sc.delaySeconds > 0 {
		if err := setDelay(ctx, s.elb, r.lb.TargetGroupARN, sc.delaySeconds); err != nil {
			t.Fatal(err)
		}
	}
	r.logPath = filepath.Join(s.logDir, strings.ReplaceAll(t.Name(), "/", "_")+".log")
	if su.automatic {
		r.args = r.podWebhook()
	}
	r.args = append(r.args, sc.controllerArgs...)
	r.startController()
	t.Cleanup(r.stopController)

	b := binding(r.ns, r.lb.TargetGroupARN)
	if sc.instance != nil {
		b.Spec.TargetType = v1alpha1.TargetTypeInstance
	}
	if sc.ipv6 {
		b.Spec.IPAddressType = v1alpha1.IPAddressTypeIPv6
	}
	if su.automatic {
		b.Spec.Drain = &v1alpha1.DrainPolicy{Inject: true}
		r.installWebhook()
	}
	if err := s.kube.Create(ctx, b); err != nil {
		t.Fatalf("creating the binding: %v", err)
	}
	// Runs before the controller stops: the binding's finalizer needs the
	// controller, or the namespace would never finish deleting.
	t.Cleanup(r.deleteBinding)
	d := deployment(r.ns, su, sc.replicas)
	if sc.pools {
		if err := r.labelPools(); err != nil {
			t.Fatal(err)
		}
		d.Spec.Template.Spec.NodeSelector = map[string]string{poolLabel: poolBlue}
	}
	if su.automatic {
		r.waitDrainSizing(d)
	}
	if err := s.kube.Create(ctx, d); err != nil {
		t.Fatalf("creating the deployment: %v", err)
	}
	r.timeline = watchPods(ctx, s.cluster.Client, r.ns)
	if _, err := waitSettled(ctx, s.kube, s.elb, r.ns, r.lb.TargetGroupARN, r.targets, sc.replicas, 60*time.Second); err != nil {
		r.fatalWithLog("before the scenario: %v", err)
	}

	targetsBefore := s.emu.RequestCounts().Targets
	gen := loadgen.New(loadgen.Config{URL: r.lb.URL, Rate: requestRate, Timeout: requestTimeout})
	finishHTML := r.htmlReport(gen)
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan loadgen.Result, 1)
	start := time.Now()
	go func() { loadDone <- gen.Run(loadCtx) }()
	stopped := false
	defer func() {
		if !stopped {
			stopLoad()
			<-loadDone
		}
	}()

	// A quiet second first: failures here are the harness's, not the
	// scenario's.
	r.sleep(time.Second)
	r.timeline.note("scenario %s starts", sc.name)
	if err := sc.action(r); err != nil {
		r.fatalWithLog("scenario action: %v", err)
	}
	if _, err := waitSettled(ctx, s.kube, s.elb, r.ns, r.lb.TargetGroupARN, r.targets, sc.finalReplicas(), 90*time.Second); err != nil {
		r.fatalWithLog("after the scenario: %v", err)
	}
	r.timeline.note("settled")
	if su.automatic {
		r.checkSized()
	}
	// Keep the load on a little longer: a target that drains only now
	// would still fail requests.
	r.sleep(time.Second)
	stopLoad()
	res := result{scenario: sc.name, setup: su.name, load: <-loadDone, duration: time.Since(start)}
	stopped = true
	for _, x := range r.extraLoad {
		res.load.Sent += x.Sent
		res.load.OK += x.OK
		res.load.Failures = append(res.load.Failures, x.Failures...)
	}
	finishHTML(res.load)

	counts := s.emu.RequestCounts()
	l := counts.Listeners[r.lb.ListenerARN]
	res.emulatorSent, res.emulatorFailed = l.Total(), l.Total()-l.Success
	t.Log(res)

	if res.load.Sent < requestRate {
		t.Errorf("only %d requests sent in %s", res.load.Sent, res.duration)
	}
	if rate := float64(res.load.Sent) / res.duration.Seconds(); rate < 0.9*requestRate {
		// The ticker drops ticks when the CPU is starved; say so rather
		// than claim a rate that was not sent.
		t.Logf("note: achieved %.0f requests/s, below the configured %d", rate, requestRate)
	}
	// Every request the load generator sent went through the listener, so
	// both must agree on what was sent and on what failed.
	if uint64(res.load.Sent) != res.emulatorSent || uint64(len(res.load.Failures)) != res.emulatorFailed {
		t.Errorf("load generator saw %d sent / %d failed, the emulator's listener counted %d / %d (%+v)",
			res.load.Sent, len(res.load.Failures), res.emulatorSent, res.emulatorFailed, l)
	}
	// The final state, read again once the load has stopped: the target
	// group (DescribeTargetHealth through the SDK) holds exactly the ready
	// pods, all healthy.
	final, err := observe(ctx, s.kube, s.elb, r.ns, r.lb.TargetGroupARN, r.targets)
	switch {
	case err != nil:
		t.Errorf("reading the final state: %v", err)
	case !final.settled(sc.finalReplicas()):
		t.Errorf("final state has not stayed settled: %s", final)
	}
	if len(res.load.Failures) == 0 && testing.Verbose() {
		t.Logf("timeline:\n%s", r.timeline.render(start, s.emu.Calls(), r.lb.TargetGroupARN, nil))
	}
	if n := len(res.load.Failures); n > 0 {
		msg := fmt.Sprintf("%d of %d requests failed (%s); failures by target: %s\ntimeline:\n%s",
			n, res.load.Sent, causes(res.load.Failures), failuresByTarget(targetsBefore, counts.Targets),
			r.timeline.render(start, s.emu.Calls(), r.lb.TargetGroupARN, res.load.Failures))
		if su.mustNotFail && (su.automatic || !sc.automaticOnly) {
			t.Errorf("%s\ncontroller log: %s", msg, r.logPath)
		} else {
			t.Log(msg)
		}
	}
	return res
}

// deleteBinding deletes the binding and waits until the controller has
// removed its finalizer.
func (r *run) deleteBinding() { deleteBindingOf(r.t, r.s, r.ns, r.lb.TargetGroupARN) }

// deleteBindingOf deletes namespace's binding (to targetGroupARN) and waits
// until the controller has removed its finalizer.
func deleteBindingOf(t *testing.T, s *suite, namespace, targetGroupARN string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b := binding(namespace, targetGroupARN)
	if err := s.kube.Delete(ctx, b); err != nil {
		t.Logf("cleaning up: deleting binding %s/%s: %v", namespace, b.Name, err)
		return
	}
	for {
		err := s.kube.Get(ctx, client.ObjectKeyFromObject(b), b)
		if apierrors.IsNotFound(err) {
			return
		}
		select {
		case <-ctx.Done():
			t.Logf("cleaning up: binding %s/%s still there after 20s (finalizers %v)", namespace, b.Name, b.Finalizers)
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *run) startController() {
	c, err := r.s.startController(r.ns, r.logPath, r.args...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ctrl = c
	r.mu.Unlock()
}

func (r *run) stopController() {
	r.mu.Lock()
	c := r.ctrl
	r.mu.Unlock()
	if c == nil {
		return
	}
	if c.Exited() {
		r.t.Errorf("the controller exited on its own; log %s:\n%s", c.LogPath, c.LogTail(30))
		return
	}
	if err := c.stop(); err != nil {
		r.t.Error(err)
	}
}

// restartController replaces the controller process, as a rollout of the
// controller's own Deployment would, and reports how long none ran.
func (r *run) restartController() (time.Duration, error) {
	r.mu.Lock()
	old := r.ctrl
	r.mu.Unlock()
	stopped := time.Now()
	if err := old.stop(); err != nil {
		return 0, err
	}
	r.timeline.note("controller stopped")
	r.sleep(controllerDowntime)
	c, err := r.s.startController(r.ns, r.logPath, r.args...)
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	r.ctrl = c
	r.mu.Unlock()
	return time.Since(stopped), nil
}

func (r *run) sleep(d time.Duration) {
	select {
	case <-r.ctx.Done():
	case <-time.After(d):
	}
}

func (r *run) fatalWithLog(format string, args ...any) {
	r.t.Helper()
	r.mu.Lock()
	c := r.ctrl
	r.mu.Unlock()
	tail := ""
	if c != nil {
		tail = c.LogTail(40)
	}
	r.t.Fatalf("%s\ncontroller log %s (tail):\n%s", fmt.Sprintf(format, args...), r.logPath, tail)
}

// causes summarises failures as "502 Bad Gateway x12, timeout x1".
func causes(failures []loadgen.Failure) string {
	n := map[string]int{}
	for _, f := range failures {
		n[f.Cause]++
	}
	var parts []string
	for c, k := range n {
		parts = append(parts, fmt.Sprintf("%s x%d", c, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// failuresByTarget lists the targets whose non-success counts grew during
// the run, from the emulator's own accounting.
func failuresByTarget(before, after map[string]emulator.Counts) string {
	var parts []string
	for target, a := range after {
		b := before[target]
		d := emulator.Counts{
			Refused: a.Refused - b.Refused, ServerError: a.ServerError - b.ServerError,
			Timeout: a.Timeout - b.Timeout, Failed: a.Failed - b.Failed,
		}
		if d.Total() > 0 {
			parts = append(parts, fmt.Sprintf("%s %+v", target, d))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none counted against a target (no target at all, or before the proxy dialed)"
	}
	return strings.Join(parts, "; ")
}
