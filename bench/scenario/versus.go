package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/peer"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// VersusScale sizes the side-by-side run of tgc and the peer.
type VersusScale struct {
	Name string `json:"name"`
	// Bindings created over 20 and over 200 ready endpoints, one at a
	// time; each is one sample.
	Creates20  int `json:"creates20"`
	Creates200 int `json:"creates200"`
	// Single-endpoint flips, alternately not ready and ready again, one
	// every FlipInterval.
	Flips        int           `json:"flips"`
	FlipInterval time.Duration `json:"flipInterval"`
	// BulkCycles of 200 endpoints turned not ready at once and back.
	BulkCycles int           `json:"bulkCycles"`
	Idle       time.Duration `json:"idle"`
	// RolloutEndpoints are replaced by a rolling update over
	// RolloutDuration.
	RolloutEndpoints int           `json:"rolloutEndpoints"`
	RolloutDuration  time.Duration `json:"rolloutDuration"`
	// RestartBindings of RestartEndpoints each are in sync when the
	// controller restarts.
	RestartBindings  int `json:"restartBindings"`
	RestartEndpoints int `json:"restartEndpoints"`
	// RestartCycles restarts are made over the same fleet, each with its
	// own two changes.
	RestartCycles int `json:"restartCycles"`
}

// VersusScaleByName is the full run BENCHMARKS.md publishes, or the quick
// one (about a third of the time).
func VersusScaleByName(name string) (VersusScale, error) {
	switch name {
	case "full":
		return VersusScale{Name: "full", Creates20: 10, Creates200: 5, Flips: 50, FlipInterval: time.Second, BulkCycles: 5, Idle: 60 * time.Second,
			RolloutEndpoints: 500, RolloutDuration: 30 * time.Second, RestartBindings: 1000, RestartEndpoints: 2, RestartCycles: 3}, nil
	case "quick":
		return VersusScale{Name: "quick", Creates20: 3, Creates200: 2, Flips: 20, FlipInterval: time.Second, BulkCycles: 1, Idle: 15 * time.Second,
			RolloutEndpoints: 100, RolloutDuration: 15 * time.Second, RestartBindings: 200, RestartEndpoints: 2, RestartCycles: 2}, nil
	}
	return VersusScale{}, fmt.Errorf("unknown scale %q (full or quick)", name)
}

// The rows of the side-by-side table.
const (
	opCreate20  = "binding created over 20 endpoints"
	opCreate200 = "binding created over 200 endpoints"
	opFlip      = "1 endpoint flipped (not ready, ready)"
	opBulk      = "200 endpoints flipped at once"
	// The sizes of these two are the scale's (500 endpoints and 1,000
	// bindings at full scale), in the notes.
	opRollout      = "rollout replacing every endpoint, per endpoint change"
	opRestart      = "restart over in-sync bindings, to the first change after it"
	opRestartLater = "a change 5 s into that restart, from its write"
)

var versusOps = []string{opCreate20, opCreate200, opFlip, opBulk, opRollout, opRestart, opRestartLater}

// The parts of the side-by-side run, each on worlds of its own; a run may
// select some (tgc-bench --peer-parts) and keep the other rows of the last
// peer.json.
const (
	partBasic   = "basic"
	partRollout = "rollout"
	partRestart = "restart"
)

// VersusParts lists the parts in the order they run.
var VersusParts = []string{partBasic, partRollout, partRestart}

// partOps are the rows each part measures; the basic part also takes the
// idle window.
var partOps = map[string][]string{
	partBasic:   {opCreate20, opCreate200, opFlip, opBulk},
	partRollout: {opRollout},
	partRestart: {opRestart, opRestartLater},
}

// contender is a controller the side-by-side run measures.
type contender struct {
	name    string
	start   func(logPath string, e *env) (*controller, error)
	binding func(name, service, group string) client.Object
}

// opSample is one operation as one controller handled it.
type opSample struct {
	Controller string   `json:"controller"`
	Op         string   `json:"op"`
	Dir        string   `json:"dir"`
	StartS     float64  `json:"startS"`
	ReactionMs *float64 `json:"reactionMs"`
	EndToEndMs *float64 `json:"endToEndMs"`
	// Calls are the controller's calls from the operation's first write
	// until the next operation (or until the group was quiet for a second).
	Calls          measure.CallCounts `json:"calls"`
	DescribeBefore bool               `json:"describeBeforeWrite"`
	// After a restart: when the change was written, when the last group
	// was first read (nil when some group never was), and how many groups
	// were read, all from the process start.
	WrittenMs  *float64 `json:"writtenMs,omitempty"`
	VerifiedMs *float64 `json:"verifiedMs,omitempty"`
	GroupsRead int      `json:"groupsRead,omitempty"`
	Groups     int      `json:"groups,omitempty"`

	reaction, endToEnd, verified time.Duration
}

// The bulk flips' Service, and how many of its endpoints flip.
const (
	bulkEndpoints = 300
	bulkFlipped   = 200
)

// versusTimeout bounds how long an operation may take to show.
const versusTimeout = 60 * time.Second

// RunVersus runs the side-by-side scenarios with tgc, then with the peer,
// each on a fresh control plane and emulator, and writes peer.json, the
// per-operation evidence and the BENCHMARKS.md section.
//
// parts selects what runs (all when empty); the rows of parts not run are
// carried over from the peer.json already in the results directory, with
// the run they came from noted.
func RunVersus(ctx context.Context, opts Options, vs VersusScale, pb peer.Build, parts []string) error {
	ran, err := selectedParts(parts)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tgc-bench-peer-")
	if err != nil {
		return fmt.Errorf("creating a scratch directory: %w", err)
	}
	r := &runner{opts: opts, tmp: tmp, machine: report.ThisMachine(), log: opts.Log, out: opts.Out}
	if r.commit, err = report.Commit(ctx, opts.Root); err != nil {
		r.commit = "unknown"
	}
	v := report.Versus{Scale: vs.Name, Started: time.Now().UTC(), Commit: r.commit, PeerVersion: pb.Version,
		Machine: r.machine, Load: map[string][2]string{}, Idle: map[string]measure.CallCounts{}, IdleWindow: vs.Idle.Seconds()}
	fmt.Fprintf(r.out, "tgc-bench: tgc %s against the peer %s, %s scale, %d cores, load %s\n", r.commit, pb.Version, vs.Name, r.machine.Cores, r.machine.LoadAverage)
	if r.bin, err = buildController(ctx, r); err != nil {
		return err
	}
	contenders := []contender{
		{name: "tgc", binding: tgcBinding, start: func(logPath string, e *env) (*controller, error) {
			return startController(r.bin, logPath, e)
		}},
		{name: "peer", binding: peerBinding, start: func(logPath string, e *env) (*controller, error) {
			c, args, err := startPeer(pb, logPath, e)
			v.PeerArgs = redactPorts(args)
			return c, err
		}},
	}
	var samples []opSample
	var failed []error
	for _, c := range contenders {
		began := time.Now()
		fmt.Fprintf(r.out, "\n== %s\n", c.name)
		load0 := report.ThisMachine().LoadAverage
		got, idle, err := r.versusParts(ctx, c, vs, pb.CRDDir, ran)
		v.Load[c.name] = [2]string{load0, report.ThisMachine().LoadAverage}
		samples = append(samples, got...)
		if ran[partBasic] {
			v.Idle[c.name] = idle
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", c.name, err))
			fmt.Fprintf(r.out, "FAILED %s after %s: %v\n", c.name, time.Since(began).Round(time.Second), err)
			continue
		}
		fmt.Fprintf(r.out, "   %s took %s\n", c.name, time.Since(began).Round(time.Second))
	}
	measured := map[string]bool{}
	for _, part := range VersusParts {
		for _, op := range partOps[part] {
			measured[op] = ran[part]
		}
	}
	for _, name := range versusOps {
		v.Rows = append(v.Rows, report.Op{Name: name, Single: name == opFlip,
			TGC: sideOf(samples, "tgc", name), Peer: sideOf(samples, "peer", name)})
	}
	if len(ran) < len(VersusParts) {
		prev, err := report.ReadVersus(filepath.Join(r.versusDir(vs.Name), "peer.json"))
		if err != nil {
			return fmt.Errorf("carrying over the rows not run: %w", err)
		}
		report.CarryOver(prev, &v, measured, ran[partBasic])
		kept, err := carriedSamples(filepath.Join(r.versusDir(vs.Name), "peer.ops.jsonl"), v.Carried)
		if err != nil {
			return fmt.Errorf("carrying over the rows not run: %w", err)
		}
		samples = append(samples, kept...)
	}
	v.Targets = report.Judge(v.Rows)
	v.Notes = append(v.Notes, versusNotes...)
	v.Finished = time.Now().UTC()
	if err := r.publishVersus(v, samples); err != nil {
		failed = append(failed, err)
	}
	if len(failed) > 0 {
		fmt.Fprintf(r.out, "controller logs kept in %s\n", tmp)
		return errors.Join(failed...)
	}
	os.RemoveAll(tmp)
	return nil
}

// versusNotes say what a reader of the side-by-side figures must know.
var versusNotes = []string{
	"reaction: from the driver's write (the binding's creation, or the EndpointSlice write) to the start of the last RegisterTargets/DeregisterTargets call the operation needed, as the emulator logged it",
	"end to end: until the emulator's target health (what DescribeTargetHealth answers, read in-process every 5 ms so that the harness spends none of the buckets the controllers are measured against) shows the change",
	"calls per operation: every call from the operation's first write until the next operation, or until the emulator saw no call for 1 s",
	"the bulk flips take 200 of a Service's 300 endpoints out and back: taking every endpoint out is another operation, since tgc then keeps the last targets registered (emptyEndpointsPolicy Retain, its default) while the peer deregisters them all",
	"every endpoint is backed by a running Pod whose containers are not ready, so that a flip is one EndpointSlice write for both controllers (the peer keeps a not-ready endpoint registered while its Pod's containers are ready)",
	"the machine is shared with other builds and tests; the load average when each controller's run began and ended is recorded",
	"the rollout replaces every endpoint of one binding (500 at full scale, 100 at quick) with a Deployment's rolling update (maxSurge 25%, maxUnavailable 0, new pods ready 1 s after they appear in batches of 10, old ones removed 3 s after they start terminating) over 30 s (15 s at quick); every endpoint turning ready or terminating is a sample, timed from its own write; calls per operation are the rollout's calls over its endpoint changes",
	"the restart: 1,000 bindings of 2 pod-backed endpoints (200 at quick), every target registered; the controller runs once over them until it has read every group and gone quiet, is stopped, and started again with throttling on, 3 times (2 at quick), each time with changes to other bindings and the fleet back in sync before the next; one endpoint of the binding in the middle turns not ready right after the process starts. Reaction and end to end are timed from the process start (so they include the controller's startup); the line under the table says when the last group was read again, and calls per operation are every call from the restart until the emulator saw none for a second. The first change is written as soon as the controller's start returns: at once for tgc, and for the peer once its readiness probe answers (about 2 s in; writtenMs in peer.ops.jsonl). A second change, to the last binding, is written 5 s after the process start and timed from its own write; its calls are those to its group from that write",
}

// selectedParts checks the parts asked for; none means all.
func selectedParts(parts []string) (map[string]bool, error) {
	ran := map[string]bool{}
	for _, p := range parts {
		if !slices.Contains(VersusParts, p) {
			return nil, fmt.Errorf("unknown part %q (%s)", p, strings.Join(VersusParts, ", "))
		}
		ran[p] = true
	}
	if len(ran) == 0 {
		for _, p := range VersusParts {
			ran[p] = true
		}
	}
	return ran, nil
}

// versusParts runs the selected parts with one controller, each on worlds
// of its own; a part that fails does not keep the others from running.
func (r *runner) versusParts(ctx context.Context, c contender, vs VersusScale, peerCRDs string, ran map[string]bool) ([]opSample, measure.CallCounts, error) {
	var out []opSample
	var idle measure.CallCounts
	var failed []error
	if ran[partBasic] {
		got, counts, err := r.versusOne(ctx, c, vs, peerCRDs)
		out, idle = append(out, got...), counts
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", partBasic, err))
		}
	}
	for _, p := range []struct {
		name string
		run  func(context.Context, contender, VersusScale, *env) ([]opSample, error)
	}{{partRollout, r.versusRollout}, {partRestart, r.versusRestart}} {
		if !ran[p.name] || ctx.Err() != nil {
			continue
		}
		got, err := r.inWorld(ctx, peerCRDs, func(e *env) ([]opSample, error) { return p.run(ctx, c, vs, e) })
		out = append(out, got...)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", p.name, err))
		}
	}
	return out, idle, errors.Join(failed...)
}

// carriedSamples reads the per-operation lines of the carried rows from
// the last run's peer.ops.jsonl, so that the evidence file keeps every
// row the table shows.
func carriedSamples(path string, carried []report.Carried) ([]opSample, error) {
	rows := map[string]bool{}
	for _, c := range carried {
		for _, r := range c.Rows {
			rows[r] = true
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var out []opSample
	for line := range strings.Lines(string(b)) {
		var o opSample
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", path, err)
		}
		if rows[o.Op] {
			out = append(out, o)
		}
	}
	return out, nil
}

// inWorld runs part on a fresh control plane and emulator.
func (r *runner) inWorld(ctx context.Context, peerCRDs string, part func(*env) ([]opSample, error)) ([]opSample, error) {
	e, err := newEnv(ctx, r.opts.Root, r.log, peerCRDs)
	if err != nil {
		return nil, err
	}
	defer e.close()
	return part(e)
}

func buildController(ctx context.Context, r *runner) (string, error) {
	began := time.Now()
	bin, err := process.BuildController(ctx, r.opts.Root, r.tmp)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(r.out, "built tgc in %s\n", time.Since(began).Round(100*time.Millisecond))
	return bin, nil
}

// versusOne runs every operation with one controller on a world of its
// own, and returns the samples and the calls of the idle window.
func (r *runner) versusOne(ctx context.Context, c contender, vs VersusScale, peerCRDs string) ([]opSample, measure.CallCounts, error) {
	var idle measure.CallCounts
	e, err := newEnv(ctx, r.opts.Root, r.log, peerCRDs)
	if err != nil {
		return nil, idle, err
	}
	defer e.close()
	ips := &ipAllocator{}
	mk := func(name string, n int) (*service, error) {
		return e.podBackedService(ctx, ips, name, n, 100, 16)
	}
	warm, err := mk("warm", 1)
	if err != nil {
		return nil, idle, err
	}
	// The bulk flips take 200 of 300 endpoints out and back: with none
	// left ready, tgc keeps the last targets registered (its
	// emptyEndpointsPolicy Retain), which is a different operation.
	bulk, err := mk("bulk", bulkEndpoints)
	if err != nil {
		return nil, idle, err
	}
	var s20, s200 []*service
	for i := range vs.Creates20 {
		s, err := mk("small-"+strconv.Itoa(i), 20)
		if err != nil {
			return nil, idle, err
		}
		s20 = append(s20, s)
	}
	for i := range vs.Creates200 {
		s, err := mk("large-"+strconv.Itoa(i), 200)
		if err != nil {
			return nil, idle, err
		}
		s200 = append(s200, s)
	}
	e.measure()

	logPath := filepath.Join(r.tmp, c.name+".log")
	ctl, err := c.start(logPath, e)
	if err != nil {
		return nil, idle, err
	}
	defer ctl.stop()
	zero := time.Now()
	run := &versusRun{e: e, c: c, ctl: ctl, zero: zero}

	// The first binding waits for the controller's caches: it is not a
	// sample.
	for _, s := range []*service{warm, bulk} {
		if _, err := run.create(ctx, "warm-up", s); err != nil {
			return nil, idle, err
		}
	}
	var out []opSample
	for _, s := range s20 {
		o, err := run.create(ctx, opCreate20, s)
		out = append(out, o)
		if err != nil {
			return out, idle, err
		}
	}
	for _, s := range s200 {
		o, err := run.create(ctx, opCreate200, s)
		out = append(out, o)
		if err != nil {
			return out, idle, err
		}
	}
	fmt.Fprintf(r.out, "   %d + %d bindings created\n", len(s20), len(s200))

	flipped := s20[len(s20)-1]
	w := newWriter(e, zero)
	for k := range vs.Flips {
		ep := flipped.ips()[(k/2)%len(flipped.ips())]
		st, dir := stateNotReady, measure.Down
		if k%2 == 1 {
			st, dir = stateReady, measure.Up
		}
		o, err := run.op(ctx, opFlip, flipped.group, []string{targetID(ep.ip)}, dir, vs.FlipInterval, func() error {
			return w.setState(ctx, flipped, []string{ep.ip}, st)
		})
		out = append(out, o)
		if err != nil {
			return out, idle, err
		}
	}
	fmt.Fprintf(r.out, "   %d flips\n", vs.Flips)

	var all []string
	var targets []string
	for _, ep := range bulk.ips()[:bulkFlipped] {
		all = append(all, ep.ip)
		targets = append(targets, targetID(ep.ip))
	}
	for range vs.BulkCycles {
		for _, st := range []endpointState{stateNotReady, stateReady} {
			dir := measure.Down
			if st == stateReady {
				dir = measure.Up
			}
			o, err := run.op(ctx, opBulk, bulk.group, targets, dir, 0, func() error {
				return w.setState(ctx, bulk, all, st)
			})
			out = append(out, o)
			if err != nil {
				return out, idle, err
			}
		}
	}
	fmt.Fprintf(r.out, "   %d bulk flips of %d endpoints\n", 2*vs.BulkCycles, len(all))

	if err := waitQuiet(ctx, e, 2*time.Second, versusTimeout); err != nil {
		return out, idle, controllerFailed(ctl, err)
	}
	from := time.Now()
	select {
	case <-ctx.Done():
		return out, idle, ctx.Err()
	case <-time.After(vs.Idle):
	}
	idle = measure.Count(measure.Between(e.emu.Calls(), from, time.Time{}))
	fmt.Fprintf(r.out, "   idle %s: %d calls\n", vs.Idle, idle.Total)
	if ctl.Exited() {
		return out, idle, controllerFailed(ctl, errors.New("the controller exited"))
	}
	return out, idle, nil
}

// versusRun is one controller's world while it is measured.
type versusRun struct {
	e    *env
	c    contender
	ctl  *controller
	zero time.Time
}

// create binds s and measures until every endpoint is registered.
func (v *versusRun) create(ctx context.Context, op string, s *service) (opSample, error) {
	var targets []string
	for _, ep := range s.ips() {
		targets = append(targets, targetID(ep.ip))
	}
	s.binding = s.name
	return v.op(ctx, op, s.group, targets, measure.Up, 0, func() error {
		if err := v.e.kube.Create(ctx, v.c.binding(s.binding, s.name, s.group)); err != nil {
			return fmt.Errorf("creating the %s binding %s: %w", v.c.name, s.binding, err)
		}
		return nil
	})
}

// op does act's writes and measures them: the reaction from the emulator's
// call log, the end to end by watching the group every 5 ms. The
// operation's window lasts interval from its start, or, with interval 0,
// until the emulator has seen no call for a second.
func (v *versusRun) op(ctx context.Context, op, group string, targets []string, dir measure.Direction, interval time.Duration, act func() error) (opSample, error) {
	o := opSample{Controller: v.c.name, Op: op, Dir: string(dir)}
	start := time.Now()
	o.StartS = start.Sub(v.zero).Seconds()
	if err := act(); err != nil {
		return o, err
	}
	shown, err := v.watch(ctx, group, targets, dir, start)
	if err != nil {
		return o, err
	}
	if shown {
		o.endToEnd = time.Since(start)
		o.EndToEndMs = msPtr(o.endToEnd)
	}
	if interval > 0 {
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(time.Until(start.Add(interval))):
		}
	} else {
		// A controller that keeps calling (health polls) closes the
		// window at the timeout; its calls then count.
		_ = waitQuiet(ctx, v.e, time.Second, 20*time.Second)
	}
	window := measure.Between(v.e.emu.Calls(), start, time.Now())
	o.Calls = measure.Count(window)
	o.DescribeBefore = describeBeforeWrite(window)
	if d, ok := measure.Reaction(window, group, targets, dir, start); ok {
		o.reaction = d
		o.ReactionMs = msPtr(d)
	}
	if v.ctl.Exited() {
		return o, controllerFailed(v.ctl, fmt.Errorf("the controller exited during %q", op))
	}
	if !shown {
		return o, controllerFailed(v.ctl, fmt.Errorf("%q did not show within %s", op, versusTimeout))
	}
	return o, nil
}

// watch reads the group's target health in-process every 5 ms until it
// shows the operation done (true), or versusTimeout passes (false).
func (v *versusRun) watch(ctx context.Context, group string, targets []string, dir measure.Direction, start time.Time) (bool, error) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		states, err := v.e.emu.ObserveTargetHealth(group)
		if err != nil {
			return false, err
		}
		if measure.Shows(states, targets, dir) {
			return true, nil
		}
		if time.Since(start) > versusTimeout || v.ctl.Exited() {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
		}
	}
}

// describeBeforeWrite reports whether a Describe call started before the
// window's first mutating call: a read the write waited for.
func describeBeforeWrite(window []emulator.Call) bool {
	read := false
	for _, c := range window {
		if !measure.IsDescribe(c.Action) {
			return read
		}
		read = true
	}
	return false
}

// sideOf summarizes one controller's samples of one operation.
func sideOf(samples []opSample, controller, op string) report.Side {
	var s report.Side
	var reaction, e2e []time.Duration
	var calls, mutating, describe int
	var verified []time.Duration
	for _, o := range samples {
		if o.Controller != controller || o.Op != op {
			continue
		}
		s.Ops++
		if o.VerifiedMs != nil {
			verified = append(verified, o.verified)
		}
		if o.Groups > 0 {
			s.Groups, s.GroupsRead = o.Groups, o.GroupsRead
		}
		if o.ReactionMs != nil {
			reaction = append(reaction, o.reaction)
		}
		if o.EndToEndMs != nil {
			e2e = append(e2e, o.endToEnd)
		} else {
			s.Missed++
		}
		calls += o.Calls.Total
		mutating += o.Calls.Mutating
		describe += o.Calls.Describe
		if o.Calls.Mutating == 1 {
			s.OneWrite++
		}
		if o.DescribeBefore {
			s.DescribeBefore++
		}
	}
	s.Reaction, s.EndToEnd, s.Verified = measure.Summarize(reaction), measure.Summarize(e2e), measure.Summarize(verified)
	if s.Ops > 0 {
		n := float64(s.Ops)
		s.CallsPerOp, s.MutatingPerOp, s.DescribePerOp = round2(float64(calls)/n), round2(float64(mutating)/n), round2(float64(describe)/n)
	}
	return s
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func msPtr(d time.Duration) *float64 {
	ms := float64(d.Microseconds()) / 1000
	return &ms
}

// redactPorts drops the loopback ports and paths from the peer's flags,
// which change every run, so that the JSON shows what matters.
func redactPorts(args []string) []string {
	var out []string
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--kubeconfig", "--metrics-bind-addr", "--health-probe-bind-addr", "--webhook-bind-port", "--webhook-cert-dir":
			out = append(out, name+"=…")
		case "--aws-api-endpoints":
			out = append(out, name+"=EC2=<emulator>,Elastic Load Balancing v2=<emulator>,STS=<emulator>")
		default:
			out = append(out, a)
		}
	}
	return out
}

// versusDir is where peer.json of a scale lives.
func (r *runner) versusDir(scale string) string {
	if scale == "quick" {
		return filepath.Join(r.opts.ResultsDir, "quick")
	}
	return r.opts.ResultsDir
}

// publishVersus writes peer.json, peer.ops.jsonl and the BENCHMARKS.md
// section.
func (r *runner) publishVersus(v report.Versus, samples []opSample) error {
	dir := r.versusDir(v.Scale)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := report.WriteJSON(filepath.Join(dir, "peer.json"), v); err != nil {
		return err
	}
	if err := report.WriteJSONL(filepath.Join(dir, "peer.ops.jsonl"), samples); err != nil {
		return err
	}
	table := report.VersusTable(v)
	fmt.Fprintf(r.out, "\n%s\n", table)
	for _, t := range v.Targets {
		verdict := "n/a"
		if t.Met != nil {
			verdict = map[bool]string{true: "met", false: "MISSED"}[*t.Met]
		}
		fmt.Fprintf(r.out, "  %-7s %s: %s (target %s)\n", verdict, t.Name, t.Measured, t.Goal)
	}
	if r.opts.Markdown == "" || v.Scale != "full" {
		return nil
	}
	doc, err := os.ReadFile(r.opts.Markdown)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", r.opts.Markdown, err)
	}
	updated := report.UpsertSection(string(doc), report.VersusStart, report.VersusEnd, table)
	if err := os.WriteFile(r.opts.Markdown, []byte(updated), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", r.opts.Markdown, err)
	}
	return nil
}
