package bench

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// awsBatch is the most targets RegisterTargets and DeregisterTargets take in
// one call, as tgc batches them.
const awsBatch = 200

// BenchmarkRestartResync stops tgc and starts a new one over a fleet of
// bindings that is already in sync (or that drifted while tgc was down),
// and measures the time from the new manager's start until every binding's
// status says it synced after the restart. It counts the AWS calls the new
// manager made by action, and fails when it wrote more than needed: nothing
// at all for a fleet in sync, ceil(removed/200) RegisterTargets per group
// for one that drifted.
func BenchmarkRestartResync(b *testing.B) {
	cases := []struct {
		name       string
		bindings   int
		perBinding int
		// removed targets per group, deregistered by hand while tgc is down.
		removed int
	}{
		{name: "in-sync/20x50", bindings: 20, perBinding: 50},
		{name: "drifted/200-of-20x50", bindings: 20, perBinding: 50, removed: 10},
		{name: "drifted/200-of-40x25", bindings: 40, perBinding: 25, removed: 5},
		{name: "drifted/450-of-1x1000", bindings: 1, perBinding: 1000, removed: 450},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			w := newWorld(b)
			f := w.fleet(tc.bindings, tc.perBinding)
			ctrl := w.start(w.options())
			w.waitFleetInSync(f, 2*time.Minute)

			wantRegister := 0
			if tc.removed > 0 {
				wantRegister = tc.bindings * ((tc.removed + awsBatch - 1) / awsBatch)
			}
			r := &restarts{w: w, f: f, opts: w.options(), removed: tc.removed, wantRegister: wantRegister, ctrl: ctrl}
			for b.Loop() {
				r.once()
			}
			b.StopTimer()
			r.report()
		})
	}
}

// restarts restarts tgc over one fleet and keeps the figures.
type restarts struct {
	w            *world
	f            *fleet
	opts         manager.Options
	removed      int // per group, by hand, before each restart
	wantRegister int
	ctrl         *harness.Controller

	resync, awsDone                 []time.Duration
	registers, throttled, describes int
}

// once is one restart: stop, (drift,) start, wait for every binding to sync
// after the restart, count the new manager's AWS calls. Only the start and
// the wait run on the benchmark's timer.
func (r *restarts) once() {
	w, b := r.w, r.w.b
	b.StopTimer()
	r.ctrl.Stop()
	if r.removed > 0 {
		w.removeByHand(r.f, r.removed)
	}
	// Every earlier sync must read as older than the restart in whole
	// seconds.
	time.Sleep(time.Until(tick(time.Now()).Add(50 * time.Millisecond)))
	// The restart starts with AWS's buckets full, as after a controller
	// that was down for 5 s or more (Register refills at 4/s up to 20);
	// otherwise the setup's and the previous manager's calls would decide
	// how much of the burst is left.
	shared.emu.SetThrottle(shared.emu.Throttle())
	restart := time.Now()
	b.StartTimer()

	r.ctrl = w.start(r.opts)
	w.eventually(2*time.Minute, "every binding to sync after the restart", func() (bool, string) {
		return w.syncedSince(r.f, restart.Truncate(time.Second))
	})
	took := time.Since(restart)

	b.StopTimer()
	// Late calls (requeues, a second look) still count.
	time.Sleep(500 * time.Millisecond)
	calls := callsSince(restart)
	n := harness.CountCalls(calls)
	if n["DeregisterTargets"] > 0 {
		b.Fatalf("the restart deregistered %d times; calls: %v", n["DeregisterTargets"], n)
	}
	if n["RegisterTargets"] != r.wantRegister {
		b.Fatalf("the restart made %d RegisterTargets calls, want %d; calls: %v", n["RegisterTargets"], r.wantRegister, n)
	}
	w.checkFleet(r.f)
	r.resync = append(r.resync, took)
	r.awsDone = append(r.awsDone, lastDone(calls).Sub(restart))
	r.registers += n["RegisterTargets"]
	for action, c := range n {
		switch {
		case strings.HasSuffix(action, ":Throttling"):
			r.throttled += c
		case strings.HasPrefix(action, "Describe"):
			r.describes += c
		}
	}
	b.Logf("restart %d: synced in %s, AWS calls %v", len(r.resync), took.Round(time.Millisecond), n)
	b.StartTimer()
}

func (r *restarts) report() {
	b, n := r.w.b, float64(len(r.resync))
	b.ReportMetric(ms(mean(r.resync)), "resync-ms")
	b.ReportMetric(ms(mean(r.awsDone)), "aws-done-ms")
	b.ReportMetric(float64(r.describes)/(n*float64(len(r.f.arns))), "describe-calls/group")
	b.ReportMetric(float64(r.registers)/n, "register-calls/op")
	b.ReportMetric(float64(r.throttled)/n, "throttled/op")
}

// removeByHand deregisters the first n targets of every group, as someone
// would with the AWS console, and waits until they are gone.
func (w *world) removeByHand(f *fleet, n int) {
	w.b.Helper()
	for i, arn := range f.arns {
		for batch := range slices.Chunk(f.targets[i][:n], awsBatch) {
			var ts []elbtypes.TargetDescription
			for _, t := range batch {
				ap := netip.MustParseAddrPort(t)
				ts = append(ts, elbtypes.TargetDescription{Id: aws.String(ap.Addr().String()), Port: aws.Int32(int32(ap.Port()))})
			}
			if _, err := w.aws.DeregisterTargets(w.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: ts}); err != nil {
				w.b.Fatalf("deregistering %d targets of %s by hand: %v", len(ts), arn, err)
			}
		}
	}
	for i, arn := range f.arns {
		want := f.perBinding - n
		w.eventuallyEvery(30*time.Second, 200*time.Millisecond, "the targets removed by hand to be gone", func() (bool, string) {
			got := w.members(arn)
			return len(got) == want, fmt.Sprintf("%s of %s has %d targets, want %d", arn, f.bindings[i], len(got), want)
		})
	}
}

func lastDone(calls []emulator.Call) time.Time {
	var last time.Time
	for _, c := range calls {
		if d := done(c); d.After(last) {
			last = d
		}
	}
	return last
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
