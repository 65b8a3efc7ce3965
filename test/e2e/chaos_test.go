package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

// The chaos suite runs one rolling update per fault, at requestRate through
// the listener with the recommended setup, while one fault hits tgc, the
// API it calls or the cluster it reads. `make chaos` runs every fault and
// writes docs/reliability.md; without TGC_CHAOS=all only the short case
// runs, as part of the e2e scenarios.
const (
	// chaosReplicas spread over two EndpointSlices (maxEndpointsPerSlice),
	// so that losing one slice leaves the desired set short but not empty.
	chaosReplicas = 12
	// chaosMaxSurge is the Deployment default of 25%, rounded up.
	chaosMaxSurge = 3
	// maxEndpointsPerSlice is the suite cluster's --max-endpoints-per-slice:
	// above the zero-downtime scenarios' peak (about 8 endpoints, 5 serving
	// and a few terminating), below chaosReplicas.
	maxEndpointsPerSlice = 10
	// convergenceBound is how soon after a fault ends the target group must
	// hold exactly the ready pods, all healthy, with the rollout finished:
	// tgc's default --max-backoff of 30 s (a sync that failed all through a
	// long fault waits up to that long for its next try), plus 15 s for
	// what is left of the rollout (four waves of new pods, each registered,
	// health-checked and draining its predecessors).
	convergenceBound = 45 * time.Second
	// apiserverGrace is how long kube-apiserver may drain its watches on
	// SIGTERM before it is killed; scaled from its default 60 s request
	// timeout.
	apiserverGrace = 2 * time.Second
)

// fault is one thing that goes wrong during the rolling update.
type fault struct {
	name  string // in test names and result lines
	short string // in AWS resource names
	title string // in the results table
	// short case: runs in the e2e scenarios (`make test`) too.
	inShortSuite bool
	// measureOnly faults may fail requests: AWS refuses every write for
	// longer than a deleted pod keeps serving. Their failures are
	// reported, not asserted.
	measureOnly bool
	// inject starts the rollout, brings the fault on at the moment it
	// hurts most, ends it and returns when it started and ended.
	inject func(r *run) (faultWindow, error)
}

type faultWindow struct{ start, end time.Time }

func (w faultWindow) length() time.Duration { return w.end.Sub(w.start) }

// chaosResult is what one fault's run measured.
type chaosResult struct {
	fault       fault
	window      faultWindow
	load        loadgen.Result
	wrong       []wrongRemoval
	convergence time.Duration // from the fault's end until settled
	asserted    string        // what the run asserted, for the table
}

func faults() []fault {
	out := []fault{{
		name: "none", short: "none",
		title: "None: the rolling update alone, for comparison",
		inject: func(r *run) (faultWindow, error) {
			err := r.updateTemplate("registry.example/web:2", nil)
			now := time.Now()
			return faultWindow{start: now, end: now}, err
		},
	}}
	for _, d := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second, 60 * time.Second} {
		out = append(out, fault{
			name:  fmt.Sprintf("throttling-storm-%s", d),
			short: fmt.Sprintf("storm%dms", d.Milliseconds()),
			title: fmt.Sprintf("Throttling storm: every Register/DeregisterTargets answered `Throttling` for %s", d),
			// make test keeps the half-second storm: it ends before tgc's
			// second retry (about 1 s), so even a loaded machine leaves it
			// the margin; the 1 s storm sits at that retry and, under the
			// load of the whole suite, once failed 9 requests.
			inShortSuite: d == 500*time.Millisecond,
			// A deleted pod serves for its preStop sleep, and the listener
			// keeps sending it new requests for deregistrationPropagation
			// after DeregisterTargets; tgc's retries after Throttling come
			// at about 0.1, 1 and 4 s. Only a storm over before the third
			// retry leaves the margin; longer ones are measured.
			measureOnly: d > time.Second,
			inject: func(r *run) (faultWindow, error) {
				return r.duringRollout(r.waitFirstNewReady, d, func() func() {
					normal := r.s.emu.Throttle()
					storm := normal
					storm.Storm = true
					r.s.emu.SetThrottle(storm)
					return func() { r.s.emu.SetThrottle(normal) }
				})
			},
		})
	}
	out = append(out,
		fault{
			name: "server-errors", short: "5xx",
			title: "Half of all ELBv2 calls answered 503 `ServiceUnavailable` for 3s",
			inject: func(r *run) (faultWindow, error) {
				return r.duringRollout(r.waitFirstNewReady, 3*time.Second, r.setFaults(emulator.Faults{ErrorRate: 0.5, ErrorStatus: 503}))
			},
		},
		fault{
			name: "latency", short: "latency",
			title: "1s added to every ELBv2 call for 3s",
			inject: func(r *run) (faultWindow, error) {
				return r.duringRollout(r.waitFirstNewReady, 3*time.Second, r.setFaults(emulator.Faults{Latency: time.Second}))
			},
		},
		fault{
			name: "apiserver-restart", short: "apiserver",
			title:  "kube-apiserver restarted as the first old pods terminate",
			inject: (*run).rolloutWithAPIServerRestart,
		},
		fault{
			name: "controller-kill", short: "kill",
			title:  fmt.Sprintf("Controller killed (`kill -9`) during a 500ms DeregisterTargets, started again %s later", controllerDowntime),
			inject: (*run).rolloutWithControllerKill,
		},
		fault{
			name: "endpointslice-deleted", short: "slice",
			title:  fmt.Sprintf("One of the Service's two EndpointSlices (%d ready endpoints) deleted by hand", maxEndpointsPerSlice),
			inject: (*run).rolloutWithSliceDeleted,
		},
	)
	return out
}

// TestChaos runs the rolling update once per fault. With TGC_CHAOS=all it
// runs every fault (`make chaos`), otherwise only the short ones; with
// TGC_CHAOS_REPORT it writes the results table there.
func TestChaos(t *testing.T) {
	all := os.Getenv("TGC_CHAOS") == "all"
	var results []chaosResult
	for _, f := range faults() {
		if !all && !f.inShortSuite {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			results = append(results, runChaos(t, shared, f))
		})
	}
	if path := os.Getenv("TGC_CHAOS_REPORT"); path != "" {
		if !filepath.IsAbs(path) {
			path = filepath.Join(shared.root, path)
		}
		if err := writeReport(path, renderChaosReport(results, time.Now())); err != nil {
			t.Errorf("writing the report: %v", err)
		} else {
			t.Logf("results table written to %s", path)
		}
	}
}

// runChaos sets up the recommended setup with chaosReplicas, runs the
// fault's rolling update under load and checks the three promises: no
// healthy target wrongly removed, convergence within convergenceBound,
// and, for faults shorter than a pod's preStop, no failed request.
func runChaos(t *testing.T, s *suite, f fault) chaosResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	r := &run{t: t, ctx: ctx, s: s, ns: harness.Namespace(t, s.cluster)}
	// Whatever happens, the next run starts with the emulator as it was.
	normalThrottle := s.emu.Throttle()
	t.Cleanup(func() {
		s.emu.SetThrottle(normalThrottle)
		_ = s.emu.SetFaults(emulator.Faults{})
	})

	var err error
	r.lb, err = createLoadBalancer(ctx, s.elb, s.emu.ListenerAddr, "chaos-"+f.short, ipGroup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.lb.delete(context.Background(), s.elb); err != nil {
			t.Logf("cleaning up: %v", err)
		}
	})
	r.logPath = filepath.Join(s.logDir, strings.ReplaceAll(t.Name(), "/", "_")+".log")
	r.startController()
	t.Cleanup(r.stopController)
	if err := s.kube.Create(ctx, service(r.ns)); err != nil {
		t.Fatalf("creating the service: %v", err)
	}
	if err := s.kube.Create(ctx, binding(r.ns, r.lb.TargetGroupARN)); err != nil {
		t.Fatalf("creating the binding: %v", err)
	}
	t.Cleanup(r.deleteBinding)
	su := setups()[0] // recommended: gate, preStop, grace period
	d := deployment(r.ns, su, chaosReplicas)
	d.Spec.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(chaosMaxSurge))
	if err := s.kube.Create(ctx, d); err != nil {
		t.Fatalf("creating the deployment: %v", err)
	}
	r.timeline = watchPods(ctx, s.cluster.Client, r.ns)
	if _, err := waitSettled(ctx, s.kube, s.elb, r.ns, r.lb.TargetGroupARN, ipTargets, chaosReplicas, 90*time.Second); err != nil {
		r.fatalWithLog("before the fault: %v", err)
	}

	gen := loadgen.New(loadgen.Config{URL: r.lb.URL, Rate: requestRate, Timeout: requestTimeout})
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
	r.sleep(time.Second)
	r.timeline.note("chaos %s starts", f.name)
	window, err := f.inject(r)
	if err != nil {
		r.fatalWithLog("injecting %s: %v", f.name, err)
	}
	r.timeline.note("fault over after %s", window.length().Round(time.Millisecond))
	_, settleErr := waitSettled(ctx, s.kube, s.elb, r.ns, r.lb.TargetGroupARN, ipTargets, chaosReplicas, convergenceBound+30*time.Second)
	res := chaosResult{fault: f, window: window, convergence: time.Since(window.end)}
	r.timeline.note("settled")
	r.sleep(time.Second)
	stopLoad()
	res.load = <-loadDone
	stopped = true
	res.wrong = wrongRemovals(s.emu.Calls(), r.lb.TargetGroupARN, r.timeline.changes(), watchLag)

	t.Logf("fault=%s lasted=%s sent=%d failed=%d wrongly_removed=%d converged_after=%s",
		f.name, window.length().Round(time.Millisecond), res.load.Sent, len(res.load.Failures), len(res.wrong), res.convergence.Round(100*time.Millisecond))
	timeline := func() string {
		return r.timeline.render(start, s.emu.Calls(), r.lb.TargetGroupARN, res.load.Failures)
	}
	var asserted []string
	if settleErr != nil {
		t.Errorf("not converged within %s of the fault's end: %v\ntimeline:\n%s", convergenceBound+30*time.Second, settleErr, timeline())
	} else if res.convergence > convergenceBound {
		t.Errorf("converged %s after the fault ended, want within %s", res.convergence.Round(100*time.Millisecond), convergenceBound)
	}
	asserted = append(asserted, "convergence")

	// A tgc without a brake on unexplained removals (no --help flag about
	// a hold) deregisters a target whenever its endpoint drops out of the
	// slices, evidence or not: when a slice is deleted, and when, with two
	// slices, the EndpointSlice controller moves an endpoint from one to
	// the other and tgc reads one update before the other. Its wrong
	// removals are reported; they fail the run once the binary has the
	// brake.
	// With the brake, tgc holds unexplained removals of healthy targets
	// once one sync would make more than --brake-max-targets of them (or
	// more than half the group); fewer go through by design, so that a
	// selectorless Service's hand-edited slice is not held. The assertion
	// is that bound, and the table shows the count.
	brake := s.controller.hasRemovalBrake()
	const brakeMaxTargets = 5 // the controller's default --brake-max-targets
	switch {
	case len(res.wrong) > 0 && !brake:
		t.Logf("%d healthy targets of running, ready pods deregistered (%v); expected until tgc needs evidence to remove a target\ntimeline:\n%s", len(res.wrong), res.wrong, timeline())
	case len(res.wrong) > brakeMaxTargets:
		t.Errorf("%d healthy targets of running, ready pods deregistered, more than the brake lets through (%d): %v\ntimeline:\n%s", len(res.wrong), brakeMaxTargets, res.wrong, timeline())
	case len(res.wrong) > 0:
		t.Logf("%d healthy targets of running, ready pods deregistered, within the brake's limit of %d: %v", len(res.wrong), brakeMaxTargets, res.wrong)
	}
	if brake {
		asserted = append(asserted, fmt.Sprintf("at most %d wrongly removed", brakeMaxTargets))
	}

	// Requests may fail only when the fault outlasts a pod's preStop: a
	// terminating pod serves that long, and no client can take it out of
	// the group while the fault lasts.
	measureOnly := f.measureOnly || window.length() >= preStopSeconds*time.Second
	if n := len(res.load.Failures); n > 0 {
		msg := fmt.Sprintf("%d of %d requests failed (%s)\ntimeline:\n%s", n, res.load.Sent, causes(res.load.Failures), timeline())
		if measureOnly {
			t.Log(msg)
		} else {
			t.Errorf("%s\ncontroller log: %s", msg, r.logPath)
		}
	}
	if !measureOnly {
		asserted = append(asserted, "0 failed")
	}
	res.asserted = strings.Join(asserted, ", ")
	if testing.Verbose() && !t.Failed() {
		t.Logf("timeline:\n%s", timeline())
	}
	return res
}

// podNames are the pods the suite's watch knows now.
func (r *run) podNames() map[string]bool {
	r.timeline.mu.Lock()
	defer r.timeline.mu.Unlock()
	out := map[string]bool{}
	for name := range r.timeline.pods {
		out[name] = true
	}
	return out
}

// duringRollout starts the rolling update, waits for trigger, turns the
// fault on with on (which returns how to turn it off) for d.
func (r *run) duringRollout(trigger func(before map[string]bool) error, d time.Duration, on func() func()) (faultWindow, error) {
	before := r.podNames()
	if err := r.updateTemplate("registry.example/web:2", nil); err != nil {
		return faultWindow{}, err
	}
	if err := trigger(before); err != nil {
		return faultWindow{}, err
	}
	w := faultWindow{start: time.Now()}
	off := on()
	r.timeline.note("fault on for %s", d)
	r.sleep(d)
	off()
	w.end = time.Now()
	r.timeline.note("fault off")
	return w, nil
}

func (r *run) setFaults(f emulator.Faults) func() func() {
	return func() func() {
		if err := r.s.emu.SetFaults(f); err != nil {
			r.t.Errorf("setting faults %+v: %v", f, err)
		}
		return func() { _ = r.s.emu.SetFaults(emulator.Faults{}) }
	}
}

// waitFirstNewReady waits until a pod that did not exist before the update
// is Ready: the Deployment controller deletes old pods at once, and tgc must
// deregister them. A fault that starts here is on while it tries; the
// suite's pod watch sees the new pod ready about when the Deployment
// controller does, a few API round trips before tgc can call AWS.
func (r *run) waitFirstNewReady(before map[string]bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && r.ctx.Err() == nil {
		r.timeline.mu.Lock()
		for name, p := range r.timeline.pods {
			if !before[name] && p.ready {
				r.timeline.mu.Unlock()
				return nil
			}
		}
		r.timeline.mu.Unlock()
		r.sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("no new pod ready within 30s of the update")
}

// waitTerminating waits until an old pod is terminating: tgc is about to
// deregister it, or is doing so.
func (r *run) waitTerminating() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && r.ctx.Err() == nil {
		var pods corev1.PodList
		if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels{"app": appName}); err != nil {
			return fmt.Errorf("listing pods in %s: %w", r.ns, err)
		}
		for i := range pods.Items {
			if pods.Items[i].DeletionTimestamp != nil {
				return nil
			}
		}
		r.sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no old pod started terminating within 30s of the update")
}

// rolloutWithAPIServerRestart restarts kube-apiserver as the first old pods
// terminate: every watch of tgc, the kubelet and kube-controller-manager
// breaks, and tgc must pick the rollout up again from relisted caches.
func (r *run) rolloutWithAPIServerRestart() (faultWindow, error) {
	if err := r.updateTemplate("registry.example/web:2", nil); err != nil {
		return faultWindow{}, err
	}
	if err := r.waitTerminating(); err != nil {
		return faultWindow{}, err
	}
	w := faultWindow{start: time.Now()}
	r.timeline.note("restarting kube-apiserver")
	down, err := r.s.cluster.RestartAPIServer(apiserverGrace)
	w.end = time.Now()
	if err != nil {
		return w, err
	}
	r.timeline.note("kube-apiserver serving again after %s", down.Round(time.Millisecond))
	return w, nil
}

// rolloutWithControllerKill slows RegisterTargets and DeregisterTargets to
// 500ms, kills tgc with SIGKILL 100ms after the first old pod is seen
// terminating, while its DeregisterTargets is in flight, and starts it
// again controllerDowntime later. The new process knows nothing of the
// call the old one had sent.
func (r *run) rolloutWithControllerKill() (faultWindow, error) {
	if err := r.s.emu.SetFaults(emulator.Faults{Latency: 500 * time.Millisecond, Actions: []string{"RegisterTargets", "DeregisterTargets"}}); err != nil {
		return faultWindow{}, err
	}
	defer func() { _ = r.s.emu.SetFaults(emulator.Faults{}) }()
	if err := r.updateTemplate("registry.example/web:2", nil); err != nil {
		return faultWindow{}, err
	}
	if err := r.waitTerminating(); err != nil {
		return faultWindow{}, err
	}
	r.sleep(100 * time.Millisecond)
	r.mu.Lock()
	old := r.ctrl
	r.mu.Unlock()
	w := faultWindow{start: time.Now()}
	old.Kill()
	r.timeline.note("controller killed (SIGKILL)")
	inFlight := 0
	for _, c := range r.s.emu.Calls() {
		if (c.Action == "RegisterTargets" || c.Action == "DeregisterTargets") && c.Time.Before(w.start) && c.End().After(w.start) {
			inFlight++
		}
	}
	r.t.Logf("%d Register/DeregisterTargets calls were in flight when the controller was killed", inFlight)
	r.sleep(controllerDowntime)
	r.startController()
	w.end = time.Now()
	r.timeline.note("controller started again")
	return w, nil
}

// rolloutWithSliceDeleted deletes, as the first old pods terminate, the
// EndpointSlice that holds the most ready endpoints, and waits until the
// EndpointSlice controller has created its replacement. The Service keeps
// its other slice, so tgc's desired set is short, not empty.
func (r *run) rolloutWithSliceDeleted() (faultWindow, error) {
	if err := r.updateTemplate("registry.example/web:2", nil); err != nil {
		return faultWindow{}, err
	}
	if err := r.waitTerminating(); err != nil {
		return faultWindow{}, err
	}
	var list discoveryv1.EndpointSliceList
	if err := r.s.kube.List(r.ctx, &list, client.InNamespace(r.ns), client.MatchingLabels{discoveryv1.LabelServiceName: appName}); err != nil {
		return faultWindow{}, fmt.Errorf("listing EndpointSlices in %s: %w", r.ns, err)
	}
	if len(list.Items) < 2 {
		return faultWindow{}, fmt.Errorf("the Service has %d EndpointSlices, want at least 2 (kube-controller-manager --max-endpoints-per-slice=%d)", len(list.Items), maxEndpointsPerSlice)
	}
	seen := map[types.UID]bool{}
	victim := &list.Items[0]
	for i := range list.Items {
		sl := &list.Items[i]
		seen[sl.UID] = true
		if readyEndpoints(sl) > readyEndpoints(victim) {
			victim = sl
		}
	}
	w := faultWindow{start: time.Now()}
	if err := r.s.kube.Delete(r.ctx, victim); err != nil {
		return w, fmt.Errorf("deleting EndpointSlice %s/%s: %w", r.ns, victim.Name, err)
	}
	r.timeline.note("deleted EndpointSlice %s (%d of %d endpoints ready) by hand", victim.Name, readyEndpoints(victim), len(victim.Endpoints))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var now discoveryv1.EndpointSliceList
		if err := r.s.kube.List(r.ctx, &now, client.InNamespace(r.ns), client.MatchingLabels{discoveryv1.LabelServiceName: appName}); err != nil {
			return w, fmt.Errorf("listing EndpointSlices in %s: %w", r.ns, err)
		}
		if slices.ContainsFunc(now.Items, func(sl discoveryv1.EndpointSlice) bool { return !seen[sl.UID] }) {
			w.end = time.Now()
			r.timeline.note("the EndpointSlice controller created a replacement")
			return w, nil
		}
		r.sleep(10 * time.Millisecond)
	}
	return w, fmt.Errorf("no replacement EndpointSlice within 30s")
}

func readyEndpoints(sl *discoveryv1.EndpointSlice) int {
	n := 0
	for _, ep := range sl.Endpoints {
		if ptr.Deref(ep.Conditions.Ready, false) && !ptr.Deref(ep.Conditions.Terminating, false) {
			n++
		}
	}
	return n
}

// removalBrakeFlag matches a flag of a tgc that holds unexplained
// removals of healthy targets.
var removalBrakeFlag = regexp.MustCompile(`hold|brake`)

// hasRemovalBrake reports whether the binary's --help lists a flag for a
// brake on mass deregistration.
func (b controllerBinary) hasRemovalBrake() bool {
	for f := range b.flags {
		if removalBrakeFlag.MatchString(f) {
			return true
		}
	}
	return false
}

// renderChaosReport is the table of docs/reliability.md.
func renderChaosReport(results []chaosResult, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- Generated by `make chaos` on %s. -->\n\n", at.UTC().Format("2006-01-02 15:04 MST"))
	b.WriteString("| Fault during the rolling update | Fault lasted | Requests sent | Failed | Healthy targets wrongly removed | Converged after the fault | Asserted |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		failedCell := "0"
		if n := len(r.load.Failures); n > 0 {
			failedCell = fmt.Sprintf("%d (%s)", n, causes(r.load.Failures))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %s | %s |\n", r.fault.title,
			r.window.length().Round(100*time.Millisecond), r.load.Sent, failedCell, len(r.wrong),
			r.convergence.Round(100*time.Millisecond), r.asserted)
	}
	fmt.Fprintf(&b, "\nEach row is one rolling update of %d pods (maxSurge %d, maxUnavailable 0) with the recommended setup "+
		"(readiness gate, preStop %ds, grace period %ds) under %d requests/s; convergence bound %s.\n",
		chaosReplicas, chaosMaxSurge, preStopSeconds, terminationGracePeriodSeconds, requestRate, convergenceBound)
	return b.String()
}
