package binding

// Table tests of a binding's sync, driven through Reconcile on the stateful
// ELBv2 fake and controller-runtime's fake client: fast and precise. The
// same behaviours are also tested on a real API server and the emulator in
// test/integration; these tests never replace those.

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

const (
	ip1, ip2, ip3, ip4, ip5 = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"
	// other1 and other2 are another cluster's targets in a shared group.
	other1, other2 = "10.9.0.1", "10.9.0.2"
)

// Jittered requeue windows (Config defaults plus up to 10%).
const (
	driftLo, driftHi       = 5 * time.Minute, 5*time.Minute + 30*time.Second
	badInputLo, badInputHi = 2 * time.Minute, 2*time.Minute + 12*time.Second
)

// synced returns a world whose binding "tgb" has registered endpoints and
// whose targets have become healthy; the calls so far are forgotten.
func synced(t *testing.T, cfg fake.Config, endpoints []endpoint, opts ...tgbOption) *world {
	t.Helper()
	w := newWorld(t, cfg, endpoints, newBinding("tgb", arnA, time.Hour, opts...))
	w.mustReconcile("tgb")
	w.aws.Settle()
	w.aws.ResetCalls()
	w.events()
	return w
}

func TestSyncRegistersReadyEndpoints(t *testing.T) {
	cases := map[string]struct {
		opts        []tgbOption
		inAWS       []targets.Health
		endpoints   []endpoint
		wantWrites  []string
		wantMembers []string
		wantCounts  v1alpha1.TargetCounts
		wantOwned   []string
		// Newly registered targets are initial, so status follows them on
		// the health poll interval; settled ones wait for the drift check.
		wantRequeueLo, wantRequeueHi time.Duration
	}{
		"ready endpoints are registered, not ready and terminating ones are not": {
			endpoints:     slices.Concat(ready(ip1, ip2), notReady(ip3), terminating(ip4)),
			wantWrites:    []string{reg("A", ip1, ip2)},
			wantMembers:   tgs(ip1, ip2),
			wantCounts:    v1alpha1.TargetCounts{Desired: 2, Registered: 2, Initial: 2},
			wantRequeueLo: 10 * time.Second, wantRequeueHi: 10 * time.Second,
		},
		"a group already holding the endpoints gets no write": {
			inAWS:         healthy(ip1, ip2),
			endpoints:     ready(ip1, ip2),
			wantMembers:   tgs(ip1, ip2),
			wantCounts:    v1alpha1.TargetCounts{Desired: 2, Registered: 2, Healthy: 2},
			wantRequeueLo: driftLo, wantRequeueHi: driftHi,
		},
		"targets not among the endpoints are deregistered from a group tgc owns": {
			inAWS:         healthy(ip1, other1),
			endpoints:     ready(ip1, ip2),
			wantWrites:    []string{dereg("A", other1), reg("A", ip2)},
			wantMembers:   tgs(ip1, ip2),
			wantCounts:    v1alpha1.TargetCounts{Desired: 2, Registered: 2, Healthy: 1, Initial: 1, Draining: 1},
			wantRequeueLo: 10 * time.Second, wantRequeueHi: 10 * time.Second,
		},
		"a multi-cluster binding records the targets it registered": {
			opts:          []tgbOption{multiCluster},
			endpoints:     ready(ip1, ip2),
			wantWrites:    []string{reg("A", ip1, ip2)},
			wantMembers:   tgs(ip1, ip2),
			wantCounts:    v1alpha1.TargetCounts{Desired: 2, Registered: 2, Initial: 2},
			wantOwned:     tgs(ip1, ip2),
			wantRequeueLo: 10 * time.Second, wantRequeueHi: 10 * time.Second,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{}, tc.endpoints, newBinding("tgb", arnA, time.Hour, tc.opts...))
			w.aws.SetTargets(arnA, tc.inAWS...)

			res := w.mustReconcile("tgb")

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			b := w.binding("tgb")
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready = %s, want True/Synced", got)
			}
			if b.Status.TargetGroupARN != arnA {
				t.Errorf("status.targetGroupARN = %q, want %q", b.Status.TargetGroupARN, arnA)
			}
			if got, want := b.Status.Targets, tc.wantCounts; !reflect.DeepEqual(got, want) {
				t.Errorf("status.targets = %+v, want %+v", got, want)
			}
			if got, want := b.Status.OwnedTargets, tc.wantOwned; !reflect.DeepEqual(got, want) {
				t.Errorf("status.ownedTargets = %q, want %q", got, want)
			}
			if !controllerutil.ContainsFinalizer(b, v1alpha1.Finalizer) {
				t.Errorf("finalizer %s missing", v1alpha1.Finalizer)
			}
			if b.Status.LastSyncTime == nil {
				t.Errorf("status.lastSyncTime not set")
			}
			if !within(res.RequeueAfter, tc.wantRequeueLo, tc.wantRequeueHi) {
				t.Errorf("RequeueAfter = %v, want within [%v, %v]", res.RequeueAfter, tc.wantRequeueLo, tc.wantRequeueHi)
			}

			// In sync: the next sync plans on the cached view and calls
			// AWS not at all, neither to write nor to read health.
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			if calls := w.aws.Calls(); len(calls) != 0 {
				t.Errorf("second reconcile called AWS %d times, want none: %+v", len(calls), calls)
			}
		})
	}
}

func TestSyncFollowsEndpointChanges(t *testing.T) {
	cases := map[string]struct {
		after       []endpoint
		wantWrites  []string
		wantMembers []string
	}{
		"an endpoint that turns not ready is deregistered in exactly one call": {
			after:       slices.Concat(ready(ip1, ip2), notReady(ip3)),
			wantWrites:  []string{dereg("A", ip3)},
			wantMembers: tgs(ip1, ip2),
		},
		"a terminating endpoint is deregistered in exactly one call": {
			after:       slices.Concat(ready(ip1, ip2), terminating(ip3)),
			wantWrites:  []string{dereg("A", ip3)},
			wantMembers: tgs(ip1, ip2),
		},
		"endpoints leaving together are deregistered in one call": {
			after:       slices.Concat(ready(ip1), terminating(ip2, ip3)),
			wantWrites:  []string{dereg("A", ip2, ip3)},
			wantMembers: tgs(ip1),
		},
		"a terminating endpoint is deregistered before its replacement registers": {
			after:       slices.Concat(ready(ip1, ip2, ip4), terminating(ip3)),
			wantWrites:  []string{dereg("A", ip3), reg("A", ip4)},
			wantMembers: tgs(ip1, ip2, ip4),
		},
		"a new ready endpoint is registered without touching the others": {
			after:       ready(ip1, ip2, ip3, ip4),
			wantWrites:  []string{reg("A", ip4)},
			wantMembers: tgs(ip1, ip2, ip3, ip4),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := synced(t, fake.Config{}, ready(ip1, ip2, ip3))
			w.setEndpoints(tc.after)

			w.mustReconcile("tgb")

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if n := w.aws.Count(fake.OpDescribeTargetHealth); n != 0 {
				t.Errorf("DescribeTargetHealth called %d times, want 0: the view is current", n)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready = %s, want True/Synced", got)
			}
		})
	}
}

func TestSyncMovesToAnotherGroup(t *testing.T) {
	cases := map[string]struct {
		opts       []tgbOption
		othersInA  []targets.Health
		wantWrites []string
		wantInA    []string
		wantEvent  string
	}{
		"a binding moved to another group deregisters its targets from the old one": {
			wantWrites: []string{dereg("A", ip1, ip2), reg("B", ip1, ip2)},
			wantInA:    []string{},
		},
		"a binding with deletionPolicy Retain leaves its targets in the old group": {
			opts:       []tgbOption{retainOnDelete},
			wantWrites: []string{reg("B", ip1, ip2)},
			wantInA:    tgs(ip1, ip2),
			wantEvent:  "Normal Retained",
		},
		"a multi-cluster binding deregisters only what it owned from the old group": {
			opts:       []tgbOption{multiCluster},
			othersInA:  healthy(other1),
			wantWrites: []string{dereg("A", ip1, ip2), reg("B", ip1, ip2)},
			wantInA:    tgs(other1),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour, tc.opts...))
			w.aws.SetTargets(arnA, tc.othersInA...)
			w.mustReconcile("tgb")
			w.aws.Settle()
			w.aws.ResetCalls()
			w.events()

			w.update("tgb", func(b *v1alpha1.TargetGroupBinding) { b.Spec.TargetGroupARN = arnB })
			w.mustReconcile("tgb")

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantInA; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the old group = %q, want %q", got, want)
			}
			if got, want := w.members(arnB), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
				t.Errorf("members of the new group = %q, want %q", got, want)
			}
			b := w.binding("tgb")
			if b.Status.TargetGroupARN != arnB {
				t.Errorf("status.targetGroupARN = %q, want the new group %q", b.Status.TargetGroupARN, arnB)
			}
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready = %s, want True/Synced", got)
			}
			if b.Spec.MultiClusterTargetGroup {
				if got, want := b.Status.OwnedTargets, tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
					t.Errorf("status.ownedTargets (in the new group) = %q, want %q", got, want)
				}
			}
			if evs := w.events(); tc.wantEvent != "" && !hasEvent(evs, tc.wantEvent, arnA) {
				t.Errorf("no %q Event naming the old group in %q", tc.wantEvent, evs)
			}
		})
	}
}

func TestSyncMultiClusterOwnership(t *testing.T) {
	cases := map[string]struct {
		opts []tgbOption
		// steps are the endpoints at each reconcile.
		steps       [][]endpoint
		wantWrites  []string
		wantMembers []string
		wantOwned   []string
		wantCounts  v1alpha1.TargetCounts
	}{
		"targets in the group that tgc does not own are never deregistered": {
			steps:       [][]endpoint{ready(ip1, ip2)},
			wantWrites:  []string{reg("A", ip1, ip2)},
			wantMembers: tgs(ip1, ip2, other1, other2),
			wantOwned:   tgs(ip1, ip2),
			wantCounts:  v1alpha1.TargetCounts{Desired: 2, Registered: 2, Initial: 2},
		},
		"a target tgc owns that left the endpoints is deregistered": {
			steps:       [][]endpoint{ready(ip1, ip2), ready(ip1)},
			wantWrites:  []string{reg("A", ip1, ip2), dereg("A", ip2)},
			wantMembers: tgs(ip1, other1, other2),
			wantOwned:   tgs(ip1),
			wantCounts:  v1alpha1.TargetCounts{Desired: 1, Registered: 1, Initial: 1},
		},
		"with no endpoints and emptyEndpointsPolicy Deregister only owned targets go": {
			opts:        []tgbOption{deregisterWhenEmpty},
			steps:       [][]endpoint{ready(ip1, ip2), nil},
			wantWrites:  []string{reg("A", ip1, ip2), dereg("A", ip1, ip2)},
			wantMembers: tgs(other1, other2),
			wantOwned:   nil,
			wantCounts:  v1alpha1.TargetCounts{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			opts := append([]tgbOption{multiCluster}, tc.opts...)
			w := newWorld(t, fake.Config{}, nil, newBinding("tgb", arnA, time.Hour, opts...))
			w.aws.SetTargets(arnA, healthy(other1, other2)...)

			for _, eps := range tc.steps {
				w.setEndpoints(eps)
				w.mustReconcile("tgb")
			}

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			b := w.binding("tgb")
			if got, want := b.Status.OwnedTargets, tc.wantOwned; !reflect.DeepEqual(got, want) {
				t.Errorf("status.ownedTargets = %q, want %q", got, want)
			}
			if got, want := b.Status.Targets, tc.wantCounts; !reflect.DeepEqual(got, want) {
				t.Errorf("status.targets (the binding's own) = %+v, want %+v", got, want)
			}
		})
	}
}

// Ownership is written before the targets are registered: a crash between
// the two must leave a target owned but not registered, never registered
// but owned by no one.
func TestSyncRecordsOwnershipBeforeRegistering(t *testing.T) {
	w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour, multiCluster))
	w.aws.SetTargets(arnA, healthy(other1)...)

	w.mustReconcile("tgb")

	var recorded *statusPatch
	for i, p := range w.statusPatches {
		if slices.Contains(p.owned, tg(ip1)) && slices.Contains(p.owned, tg(ip2)) {
			recorded = &w.statusPatches[i]
			break
		}
	}
	if recorded == nil {
		t.Fatalf("no status patch recorded %s as owned: %+v", tgs(ip1, ip2), w.statusPatches)
	}
	if got, want := recorded.members, tgs(other1); !reflect.DeepEqual(got, want) {
		t.Errorf("members of the group when ownership was first recorded = %v, want %v (none of ours yet)", got, want)
	}
	if got, want := w.members(arnA), tgs(ip1, ip2, other1); !reflect.DeepEqual(got, want) {
		t.Errorf("members of the group after the sync = %q, want %q", got, want)
	}
}

func TestSyncPartialBatchFailure(t *testing.T) {
	internal := &elbv2.APIError{Op: fake.OpRegisterTargets, Code: "InternalFailure", Message: "try again"}
	cases := map[string]struct {
		op          string
		inAWS       []targets.Health
		endpoints   []endpoint
		err         error
		wantReason  string
		wantWrites  []string // of the failing sync; the last one failed
		wantMembers []string // after the failing sync
		wantRetry   []string // writes of the next sync
	}{
		"a register failing on its second request keeps the first batch and retries only the rest": {
			op:          fake.OpRegisterTargets,
			endpoints:   ready(ip1, ip2, ip3, ip4, ip5),
			err:         internal,
			wantReason:  v1alpha1.ReasonAWSError,
			wantWrites:  []string{reg("A", ip1, ip2), reg("A", ip3, ip4)},
			wantMembers: tgs(ip1, ip2),
			wantRetry:   []string{reg("A", ip3, ip4), reg("A", ip5)},
		},
		"a register throttled on its second request reports Throttled and retries only the rest": {
			op:          fake.OpRegisterTargets,
			endpoints:   ready(ip1, ip2, ip3, ip4, ip5),
			err:         &elbv2.APIError{Op: fake.OpRegisterTargets, Code: "Throttling", Message: "Rate exceeded", Kind: elbv2.ErrThrottled},
			wantReason:  v1alpha1.ReasonThrottled,
			wantWrites:  []string{reg("A", ip1, ip2), reg("A", ip3, ip4)},
			wantMembers: tgs(ip1, ip2),
			wantRetry:   []string{reg("A", ip3, ip4), reg("A", ip5)},
		},
		"a deregister failing on its second request keeps the first batch out and retries only the rest": {
			op:          fake.OpDeregisterTargets,
			inAWS:       healthy(ip1, ip2, ip3, ip4, ip5),
			endpoints:   ready(ip1),
			err:         internal,
			wantReason:  v1alpha1.ReasonAWSError,
			wantWrites:  []string{dereg("A", ip2, ip3), dereg("A", ip4, ip5)},
			wantMembers: tgs(ip1, ip4, ip5),
			wantRetry:   []string{dereg("A", ip4, ip5)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{BatchSize: 2}, tc.endpoints, newBinding("tgb", arnA, time.Hour))
			w.aws.SetTargets(arnA, tc.inAWS...)
			w.aws.NextError(tc.op, nil)
			w.aws.NextError(tc.op, tc.err)

			res, err := w.reconcile("tgb")

			if err == nil || !errors.Is(err, tc.err) || res.RequeueAfter != 0 {
				t.Errorf("Reconcile = %+v, %v; want the AWS error, so that the workqueue retries with backoff", res, err)
			}
			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if got, want := w.ready("tgb"), "False/"+tc.wantReason; got != want {
				t.Errorf("Ready = %s, want %s", got, want)
			}
			if evs := w.events(); !hasEvent(evs, "Warning "+tc.wantReason) {
				t.Errorf("no Warning %s Event in %q", tc.wantReason, evs)
			}

			// The view followed what AWS accepted: the retry sends only
			// the rest, planned without reading AWS again.
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			if got, want := w.writes(), tc.wantRetry; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes of the retry = %q, want %q", got, want)
			}
			if n := w.aws.Count(fake.OpDescribeTargetHealth); n != 0 {
				t.Errorf("retry called DescribeTargetHealth %d times, want 0", n)
			}
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready after the retry = %s, want True/Synced", got)
			}
		})
	}
}

func TestSyncRejectedTargets(t *testing.T) {
	cases := map[string]struct {
		reject      []string
		wantMembers []string
	}{
		"a target AWS rejects is set aside and the rest registered": {
			reject:      []string{ip3},
			wantMembers: tgs(ip1, ip2, ip4),
		},
		"two rejected targets are both set aside": {
			reject:      []string{ip1, ip4},
			wantMembers: tgs(ip2, ip3),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{}, ready(ip1, ip2, ip3, ip4), newBinding("tgb", arnA, time.Hour))
			for _, ip := range tc.reject {
				w.aws.RejectIPs(podTarget(ip).IP)
			}

			res, err := w.reconcile("tgb")

			if err != nil || !within(res.RequeueAfter, badInputLo, badInputHi) {
				t.Errorf("Reconcile = %+v, %v; want a retry after the bad-input interval", res, err)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if got := w.ready("tgb"); got != "False/"+v1alpha1.ReasonTargetRejected {
				t.Errorf("Ready = %s, want False/TargetRejected", got)
			}
			b := w.binding("tgb")
			if got, want := b.Status.Targets.Registered, int32(len(tc.wantMembers)); got != want {
				t.Errorf("status.targets.registered = %d, want %d", got, want)
			}
			evs := w.events()
			for _, ip := range tc.reject {
				if !hasEvent(evs, "Warning "+v1alpha1.ReasonTargetRejected, tg(ip)) {
					t.Errorf("no Warning TargetRejected Event naming %s in %q", tg(ip), evs)
				}
			}

			// Set aside: not offered again until the bad-input interval
			// has passed, then offered again.
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			if writes := w.writes(); len(writes) != 0 {
				t.Errorf("a sync within the bad-input interval wrote %q, want nothing", writes)
			}
			// Set aside is not synced: the next sync still says why.
			if got := w.ready("tgb"); got != "False/"+v1alpha1.ReasonTargetRejected {
				t.Errorf("Ready after the next sync = %s, want still False/TargetRejected while targets are set aside", got)
			}
			w.clock.Step(badInputLo + time.Second)
			w.aws.ResetCalls()
			w.reconcile("tgb")
			if n := w.aws.Count(fake.OpRegisterTargets); n == 0 {
				t.Errorf("rejected targets not offered again after the bad-input interval")
			}
		})
	}
}

func TestAFirstSyncWhoseWritesAreDeferredIsNotReady(t *testing.T) {
	w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour))
	w.aws.Defer(fake.OpRegisterTargets, 3*time.Second)

	res, err := w.reconcile("tgb")

	if err != nil || res.RequeueAfter <= 0 || res.RequeueAfter > 4*time.Second {
		t.Errorf("Reconcile = %+v, %v; want a retry when the tokens are due", res, err)
	}
	if got := w.members(arnA); len(got) != 0 {
		t.Errorf("members = %q, want none while the registration waits", got)
	}
	if got := w.ready("tgb"); got != "False/"+v1alpha1.ReasonSyncPending {
		t.Errorf("Ready = %s with nothing registered, want False/%s", got, v1alpha1.ReasonSyncPending)
	}
	if b := w.binding("tgb"); b.Status.LastSyncTime != nil {
		t.Errorf("lastSyncTime = %s, want unset before the first sync lands", b.Status.LastSyncTime)
	}
}

func TestSyncDeferredWrites(t *testing.T) {
	const after = 3 * time.Second
	cases := map[string]struct {
		deferOp    string
		endpoints  []endpoint
		wantWrites []string // of the sync whose write is deferred
		wantLater  []string // once the deferral is over
	}{
		"a deferred registration writes nothing and keeps Ready": {
			deferOp:   fake.OpRegisterTargets,
			endpoints: ready(ip1, ip2, ip3),
			wantLater: []string{reg("A", ip3)},
		},
		"a deregistration goes out while the registration of the same sync is deferred": {
			deferOp:    fake.OpRegisterTargets,
			endpoints:  slices.Concat(ready(ip1, ip3), terminating(ip2)),
			wantWrites: []string{dereg("A", ip2)},
			wantLater:  []string{reg("A", ip3)},
		},
		"a registration goes out while the deregistration of the same sync is deferred": {
			deferOp:    fake.OpDeregisterTargets,
			endpoints:  slices.Concat(ready(ip1, ip3), terminating(ip2)),
			wantWrites: []string{reg("A", ip3)},
			wantLater:  []string{dereg("A", ip2)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := synced(t, fake.Config{}, ready(ip1, ip2))
			before := readyCondition(w.binding("tgb"))
			w.setEndpoints(tc.endpoints)
			w.aws.Defer(tc.deferOp, after)

			res := w.mustReconcile("tgb")

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if d := w.aws.Deferrals(); len(d) != 1 || d[0].Op != tc.deferOp {
				t.Errorf("deferrals = %+v, want one %s", d, tc.deferOp)
			}
			if !within(res.RequeueAfter, after, after+50*time.Millisecond) {
				t.Errorf("RequeueAfter = %v, want just after the deferral's %v", res.RequeueAfter, after)
			}
			if got := readyCondition(w.binding("tgb")); got == nil || *got != *before {
				t.Errorf("Ready = %+v, want unchanged %+v", got, before)
			}

			w.clock.Step(after)
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			if got, want := w.writes(), tc.wantLater; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes after the deferral = %q, want %q", got, want)
			}
		})
	}
}

func TestSyncCorrectsDrift(t *testing.T) {
	cases := map[string]struct {
		byHand     []targets.Health
		wantWrites []string
		wantNote   string
	}{
		"a target added by hand is deregistered at the drift check": {
			byHand:     healthy(ip1, ip2, other1),
			wantWrites: []string{dereg("A", other1)},
			wantNote:   "1 unexpected targets (" + tg(other1) + ")",
		},
		"a target removed by hand is registered again at the drift check": {
			byHand:     healthy(ip1),
			wantWrites: []string{reg("A", ip2)},
			wantNote:   "1 missing targets (" + tg(ip2) + ")",
		},
		"a target swapped by hand is both corrected, deregistration first": {
			byHand:     healthy(ip1, other1),
			wantWrites: []string{dereg("A", other1), reg("A", ip2)},
			wantNote:   "1 unexpected targets",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := synced(t, fake.Config{}, ready(ip1, ip2))
			w.aws.SetTargets(arnA, tc.byHand...)

			// Before the drift interval the view is trusted: AWS is not read.
			w.mustReconcile("tgb")
			if calls := w.aws.Calls(); len(calls) != 0 {
				t.Errorf("sync before the drift interval called AWS: %+v", calls)
			}

			w.clock.Step(5*time.Minute + time.Second)
			w.mustReconcile("tgb")

			if n := w.aws.Count(fake.OpDescribeTargetHealth); n != 1 {
				t.Errorf("DescribeTargetHealth called %d times at the drift check, want 1", n)
			}
			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if evs := w.events(); !hasEvent(evs, "Warning DriftDetected", tc.wantNote) {
				t.Errorf("no Warning DriftDetected Event saying %q in %q", tc.wantNote, evs)
			}
		})
	}
}

func TestSyncEmptyEndpoints(t *testing.T) {
	cases := map[string]struct {
		opts          []tgbOption
		endpoints     []endpoint
		deleteService bool
		wantWrites    []string
		wantMembers   []string
		wantReady     string
		wantEvent     []string
	}{
		"with emptyEndpointsPolicy Retain no ready endpoints deregisters nothing": {
			endpoints:   notReady(ip1, ip2),
			wantMembers: tgs(ip1, ip2),
			wantReady:   "False/" + v1alpha1.ReasonNoEndpoints,
			wantEvent:   []string{"Warning NoEndpoints", "keeping the 2 registered targets"},
		},
		"with emptyEndpointsPolicy Retain a deleted Service deregisters nothing": {
			deleteService: true,
			wantMembers:   tgs(ip1, ip2),
			wantReady:     "False/" + v1alpha1.ReasonServiceNotFound,
			wantEvent:     []string{"Warning ServiceNotFound"},
		},
		"with emptyEndpointsPolicy Deregister no ready endpoints deregisters everything": {
			opts:        []tgbOption{deregisterWhenEmpty},
			endpoints:   terminating(ip1, ip2),
			wantWrites:  []string{dereg("A", ip1, ip2)},
			wantMembers: []string{},
			wantReady:   "True/Synced",
			wantEvent:   []string{"Warning NoEndpoints", "deregistering all 2 targets"},
		},
		"with emptyEndpointsPolicy Deregister a deleted Service deregisters everything": {
			opts:          []tgbOption{deregisterWhenEmpty},
			deleteService: true,
			wantWrites:    []string{dereg("A", ip1, ip2)},
			wantMembers:   []string{},
			wantReady:     "True/Synced",
			wantEvent:     []string{"Warning NoEndpoints", "does not exist"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := synced(t, fake.Config{}, ready(ip1, ip2), tc.opts...)
			w.setEndpoints(tc.endpoints)
			if tc.deleteService {
				if err := w.kube.Delete(w.ctx, &corev1.Service{ObjectMeta: service().ObjectMeta}); err != nil {
					t.Fatal(err)
				}
			}

			res, err := w.reconcile("tgb")

			if err != nil || res.RequeueAfter > badInputHi {
				t.Errorf("Reconcile = %+v, %v; want a retry within the bad-input interval", res, err)
			}
			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if got := w.ready("tgb"); got != tc.wantReady {
				t.Errorf("Ready = %s, want %s", got, tc.wantReady)
			}
			if evs := w.events(); !hasEvent(evs, tc.wantEvent[0], tc.wantEvent[1:]...) {
				t.Errorf("no Event %q in %q", tc.wantEvent, evs)
			}
		})
	}
}

func TestFinalize(t *testing.T) {
	cases := map[string]struct {
		opts        []tgbOption
		othersInA   []targets.Health
		removeGroup bool
		wait        time.Duration // between the group's removal and the deletion
		wantWrites  []string
		wantMembers []string
		wantEvent   string
	}{
		"deleting a binding deregisters its targets and removes the finalizer": {
			wantWrites:  []string{dereg("A", ip1, ip2)},
			wantMembers: []string{},
		},
		"deleting a binding with deletionPolicy Retain leaves its targets": {
			opts:        []tgbOption{retainOnDelete},
			wantMembers: tgs(ip1, ip2),
			wantEvent:   "Normal Retained",
		},
		"deleting a multi-cluster binding deregisters only the targets it owns": {
			opts:        []tgbOption{multiCluster},
			othersInA:   healthy(other1),
			wantWrites:  []string{dereg("A", ip1, ip2)},
			wantMembers: tgs(other1),
		},
		"a target group deleted meanwhile does not block deletion": {
			removeGroup: true,
			wantWrites:  []string{dereg("A", ip1, ip2)}, // answered TargetGroupNotFound
		},
		"a target group deleted long ago does not block deletion": {
			removeGroup: true,
			wait:        6 * time.Minute,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour, tc.opts...))
			w.aws.SetTargets(arnA, tc.othersInA...)
			w.mustReconcile("tgb")
			w.aws.Settle()
			w.aws.ResetCalls()
			w.events()
			if tc.removeGroup {
				w.aws.RemoveGroup(arnA)
			}
			w.clock.Step(tc.wait)

			if err := w.kube.Delete(w.ctx, w.binding("tgb")); err != nil {
				t.Fatal(err)
			}
			res, err := w.reconcile("tgb")

			if err != nil || res.RequeueAfter != 0 {
				t.Errorf("Reconcile = %+v, %v; want done", res, err)
			}
			if !w.gone("tgb") {
				t.Errorf("binding still exists: finalizers %v", w.binding("tgb").Finalizers)
			}
			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if !tc.removeGroup {
				if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
					t.Errorf("members of the group = %q, want %q", got, want)
				}
			}
			if evs := w.events(); tc.wantEvent != "" && !hasEvent(evs, tc.wantEvent) {
				t.Errorf("no %q Event in %q", tc.wantEvent, evs)
			}
		})
	}
}

func TestSyncTargetGroupConflict(t *testing.T) {
	cases := map[string]struct {
		olderMulti, newerMulti bool
		wantReady              string
	}{
		"a second, newer binding naming the same group is refused": {
			wantReady: "False/" + v1alpha1.ReasonTargetGroupConflict,
		},
		"a newer binding without multi-cluster is refused by a multi-cluster one": {
			olderMulti: true,
			wantReady:  "False/" + v1alpha1.ReasonTargetGroupConflict,
		},
		"a newer multi-cluster binding is refused by one that owns the whole group": {
			newerMulti: true,
			wantReady:  "False/" + v1alpha1.ReasonTargetGroupConflict,
		},
		"two multi-cluster bindings share the group": {
			olderMulti: true, newerMulti: true,
			wantReady: "True/Synced",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var olderOpts, newerOpts []tgbOption
			if tc.olderMulti {
				olderOpts = append(olderOpts, multiCluster)
			}
			if tc.newerMulti {
				newerOpts = append(newerOpts, multiCluster)
			}
			w := synced(t, fake.Config{}, ready(ip1, ip2), olderOpts...)
			// The newer binding's Service has other endpoints, so that any
			// sync of it would have to write.
			newer := newBinding("newer", arnA, 0, newerOpts...)
			newer.Spec.ServiceRef.Name = "api"
			api := service()
			api.Name = "api"
			apiSlice := slice(ready(ip3))
			w.ensurePods(ready(ip3))
			apiSlice.Name, apiSlice.Labels[discoveryv1.LabelServiceName] = "api-1", "api"
			for _, o := range []client.Object{api, apiSlice, newer} {
				if err := w.kube.Create(w.ctx, o); err != nil {
					t.Fatal(err)
				}
			}

			res, err := w.reconcile("newer")

			if got := w.ready("newer"); got != tc.wantReady {
				t.Errorf("Ready = %s, want %s", got, tc.wantReady)
			}
			if tc.wantReady == "True/Synced" {
				return
			}
			if writes := w.writes(); len(writes) != 0 {
				t.Errorf("refused binding wrote %q, want nothing", writes)
			}
			if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if err != nil || !within(res.RequeueAfter, badInputLo, badInputHi) {
				t.Errorf("Reconcile = %+v, %v; want a retry after the bad-input interval", res, err)
			}
			if evs := w.events(); !hasEvent(evs, "Warning "+v1alpha1.ReasonTargetGroupConflict, ns+"/tgb") {
				t.Errorf("no Warning TargetGroupConflict Event naming the older binding in %q", evs)
			}
			// The older binding keeps syncing undisturbed.
			w.mustReconcile("tgb")
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready of the older binding = %s, want True/Synced", got)
			}
			if strings.Contains(strings.Join(w.writes(), " "), tg(ip3)) {
				t.Errorf("the refused binding's endpoint was written: %q", w.writes())
			}
			if b := w.binding("newer"); controllerutil.ContainsFinalizer(b, v1alpha1.Finalizer) {
				t.Errorf("the refused binding carries the finalizer; its deletion would deregister the holder's targets")
			}
		})
	}
}

func TestDeletingARefusedBindingLeavesTheHoldersTargets(t *testing.T) {
	cases := map[string]struct {
		// legacyFinalizer: the refused binding got the finalizer from an
		// older tgc, which added it before the conflict check.
		legacyFinalizer bool
	}{
		"a refused binding has no finalizer and goes at once":           {},
		"a refused binding with a finalizer from before goes untouched": {legacyFinalizer: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := synced(t, fake.Config{}, ready(ip1, ip2))
			dup := newBinding("dup", arnA, 0)
			if tc.legacyFinalizer {
				controllerutil.AddFinalizer(dup, v1alpha1.Finalizer)
			}
			if err := w.kube.Create(w.ctx, dup); err != nil {
				t.Fatal(err)
			}
			w.reconcile("dup")
			if got := w.ready("dup"); got != "False/"+v1alpha1.ReasonTargetGroupConflict {
				t.Fatalf("Ready of the duplicate = %s, want it refused", got)
			}
			w.aws.ResetCalls()

			if err := w.kube.Delete(w.ctx, w.binding("dup")); err != nil {
				t.Fatal(err)
			}
			w.reconcile("dup")

			if !w.gone("dup") {
				t.Errorf("the refused binding is still there")
			}
			if writes := w.writes(); len(writes) != 0 {
				t.Errorf("deleting the refused binding wrote %q, want nothing", writes)
			}
			if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
				t.Errorf("members of the holder's group = %q, want %q", got, want)
			}
		})
	}
}

func anyEndpoint(b *v1alpha1.TargetGroupBinding) {
	b.Spec.TargetSelection = v1alpha1.TargetSelectionAnyEndpoint
}

func TestSyncRegistersOnlyPodsByDefault(t *testing.T) {
	cases := map[string]struct {
		opts        []tgbOption
		inAWS       []targets.Health
		endpoints   []endpoint
		wantWrites  []string
		wantMembers []string
		wantSkipped int32
		wantWarned  bool
	}{
		"an endpoint with no Pod behind it is not registered, and is counted and warned about": {
			endpoints:   slices.Concat(ready(ip1), bareReady(ip2)),
			wantWrites:  []string{reg("A", ip1)},
			wantMembers: tgs(ip1),
			wantSkipped: 1,
			wantWarned:  true,
		},
		"a skipped endpoint takes nothing else out of the group": {
			inAWS:       healthy(ip1),
			endpoints:   slices.Concat(ready(ip1), bareReady(ip2)),
			wantMembers: tgs(ip1),
			wantSkipped: 1,
			wantWarned:  true,
		},
		"an opted-in binding registers an endpoint with no Pod behind it": {
			opts:        []tgbOption{anyEndpoint},
			endpoints:   slices.Concat(ready(ip1), bareReady(ip2)),
			wantWrites:  []string{reg("A", ip1, ip2)},
			wantMembers: tgs(ip1, ip2),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{}, tc.endpoints, newBinding("tgb", arnA, time.Hour, tc.opts...))
			w.aws.SetTargets(arnA, tc.inAWS...)

			w.mustReconcile("tgb")

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready = %s, want True/Synced", got)
			}
			if got := w.binding("tgb").Status.Targets.Skipped; got != tc.wantSkipped {
				t.Errorf("status.targets.skipped = %d, want %d", got, tc.wantSkipped)
			}
			gauge := testutil.ToFloat64(w.c.metrics.skipped.WithLabelValues(ns, "tgb", string(targets.SkipNoTargetRef)))
			if int32(gauge) != tc.wantSkipped {
				t.Errorf("tgc_binding_endpoints_skipped{reason=NoTargetRef} = %v, want %d", gauge, tc.wantSkipped)
			}
			warned := hasEvent(w.events(), "Warning "+ReasonEndpointSkipped, tg(ip2), string(targets.SkipNoTargetRef))
			if warned != tc.wantWarned {
				t.Errorf("Warning %s Event naming %s: %v, want %v", ReasonEndpointSkipped, tg(ip2), warned, tc.wantWarned)
			}

			// Once per endpoint: the next sync warns no more.
			w.mustReconcile("tgb")
			if evs := w.events(); hasEvent(evs, "Warning "+ReasonEndpointSkipped) {
				t.Errorf("second sync warned again: %q", evs)
			}
		})
	}
}

func TestSyncWaitsForAPodTheCacheHasNotSeenYet(t *testing.T) {
	w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour))
	// ip1 is in the group and settled, so nothing but ip2 asks for an early
	// sync.
	w.aws.SetTargets(arnA, healthy(ip1)...)
	// The slice lists ip2's Pod before the Pod informer has it.
	if err := w.kube.Delete(w.ctx, pod(ip2)); err != nil {
		t.Fatal(err)
	}

	res := w.mustReconcile("tgb")

	if got := w.writes(); len(got) != 0 {
		t.Errorf("AWS writes = %q, want none", got)
	}
	if res.RequeueAfter > 10*time.Second {
		t.Errorf("RequeueAfter = %v, want at most the health poll interval: no Pod event wakes the binding", res.RequeueAfter)
	}
	if evs := w.events(); hasEvent(evs, "Warning "+ReasonEndpointSkipped) {
		t.Errorf("a Pod the cache may not have caught up with was warned about at once: %q", evs)
	}

	w.ensurePods(ready(ip2))
	w.aws.ResetCalls()
	w.mustReconcile("tgb")

	if got, want := w.writes(), []string{reg("A", ip2)}; !reflect.DeepEqual(got, want) {
		t.Errorf("AWS writes once the Pod is in the cache = %q, want %q", got, want)
	}
	if evs := w.events(); hasEvent(evs, "Warning "+ReasonEndpointSkipped) {
		t.Errorf("warned about a Pod that arrived: %q", evs)
	}
	if got := w.binding("tgb").Status.Targets.Skipped; got != 0 {
		t.Errorf("status.targets.skipped = %d, want 0", got)
	}
}

func TestSyncWarnsAboutAMissingPodThatStaysMissing(t *testing.T) {
	w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour))
	if err := w.kube.Delete(w.ctx, pod(ip2)); err != nil {
		t.Fatal(err)
	}
	w.mustReconcile("tgb")
	w.events()

	w.mustReconcile("tgb")

	if evs := w.events(); !hasEvent(evs, "Warning "+ReasonEndpointSkipped, tg(ip2), string(targets.SkipPodNotFound), podName(ip2)) {
		t.Errorf("no Warning %s naming %s and its missing Pod at the second sighting in %q", ReasonEndpointSkipped, tg(ip2), evs)
	}
	if got, want := w.members(arnA), tgs(ip1); !reflect.DeepEqual(got, want) {
		t.Errorf("members = %q, want %q", got, want)
	}
}

func TestABindingDeletedBeforeItsFirstStatusWriteStillDeregistersWhatItRegistered(t *testing.T) {
	w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour))
	w.loseStatusAfterWrites = true
	w.reconcile("tgb")
	if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
		t.Fatalf("members = %q, want the registered endpoints %q", got, want)
	}
	w.loseStatusAfterWrites = false

	if err := w.kube.Delete(w.ctx, w.binding("tgb")); err != nil {
		t.Fatal(err)
	}
	w.reconcile("tgb")

	if !w.gone("tgb") {
		t.Errorf("the binding is still there")
	}
	if got := w.targetsWhere(arnA, func(h targets.Health) bool { return !h.Leaving() }); len(got) != 0 {
		t.Errorf("targets left serving after the binding was deleted: %q", got)
	}
}
