package fake

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

var _ elbv2.TargetGroups = (*TargetGroups)(nil)

var errBoom = errors.New("connection reset")

func throttled() error {
	return &elbv2.APIError{Op: OpRegisterTargets, Code: "Throttling", Message: "Rate exceeded", Kind: elbv2.ErrThrottled}
}

func TestRegister(t *testing.T) {
	cases := map[string]struct {
		cfg       Config
		setup     func(*TargetGroups)
		arn       string
		ts        []targets.Target
		wantErr   error // checked with errors.Is; nil means success
		wantDone  []targets.Target
		want      []targets.Health
		wantSizes []int
	}{
		"a registered target starts initial": {
			arn: arnWeb, ts: tgts("10.0.0.1:80"),
			want: hs(targets.StateInitial, "10.0.0.1:80"), wantSizes: []int{1},
		},
		"RegisterState healthy skips the initial health checks": {
			cfg: Config{RegisterState: targets.StateHealthy},
			arn: arnWeb, ts: tgts("10.0.0.1:80"),
			want: hs(targets.StateHealthy, "10.0.0.1:80"), wantSizes: []int{1},
		},
		"re-registering a registered target is a no-op": {
			setup: func(f *TargetGroups) { f.SetTargets(arnWeb, hs(targets.StateUnhealthy, "10.0.0.1:80")...) },
			arn:   arnWeb, ts: tgts("10.0.0.1:80", "10.0.0.2:80"),
			want:      join(hs(targets.StateUnhealthy, "10.0.0.1:80"), hs(targets.StateInitial, "10.0.0.2:80")),
			wantSizes: []int{2},
		},
		"re-registering a draining target starts a new registration": {
			setup: func(f *TargetGroups) { f.SetTargets(arnWeb, hs(targets.StateDraining, "10.0.0.1:80")...) },
			arn:   arnWeb, ts: tgts("10.0.0.1:80"),
			want: hs(targets.StateInitial, "10.0.0.1:80"), wantSizes: []int{1},
		},
		"a target AWS reports with a zone is the one registered without": {
			setup: func(f *TargetGroups) {
				f.SetTargets(arnWeb, targets.Health{Target: targets.Target{IP: netip.MustParseAddr("10.0.0.1"), Port: 80, AvailabilityZone: "us-east-1a"}, State: targets.StateHealthy})
			},
			arn: arnWeb, ts: tgts("10.0.0.1:80"),
			want:      []targets.Health{{Target: targets.Target{IP: netip.MustParseAddr("10.0.0.1"), Port: 80, AvailabilityZone: "us-east-1a"}, State: targets.StateHealthy}},
			wantSizes: []int{1},
		},
		"an unknown group is TargetGroupNotFound": {
			arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/1", ts: tgts("10.0.0.1:80"),
			wantErr: elbv2.ErrTargetGroupNotFound, wantSizes: []int{1},
		},
		"one rejected target fails its whole request": {
			setup: func(f *TargetGroups) { f.RejectIPs(netip.MustParseAddr("10.0.0.2")) },
			arn:   arnWeb, ts: tgts("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"),
			wantErr: elbv2.ErrInvalidTarget, wantSizes: []int{3},
		},
		"an ipv4 group refuses an IPv6 target": {
			arn: arnWeb, ts: tgts("[fd00::1]:80"),
			wantErr: elbv2.ErrInvalidTarget, wantSizes: []int{1},
		},
		"an ipv6 group refuses an IPv4 target": {
			arn: arnV6, ts: tgts("10.0.0.1:80"),
			wantErr: elbv2.ErrInvalidTarget, wantSizes: []int{1},
		},
		"more than a batch is several requests": {
			cfg: Config{BatchSize: 2},
			arn: arnWeb, ts: tgts("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"),
			want: hs(targets.StateInitial, "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"), wantSizes: []int{2, 1},
		},
		"a failing second batch reports the first as done": {
			cfg: Config{BatchSize: 2},
			setup: func(f *TargetGroups) {
				f.NextError(OpRegisterTargets, nil)
				f.NextError(OpRegisterTargets, throttled())
			},
			arn: arnWeb, ts: tgts("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"),
			wantErr: elbv2.ErrThrottled, wantDone: tgts("10.0.0.1:80", "10.0.0.2:80"),
			want: hs(targets.StateInitial, "10.0.0.1:80", "10.0.0.2:80"), wantSizes: []int{2, 2},
		},
		"a rejected target in the second batch keeps the first registered": {
			cfg:   Config{BatchSize: 2},
			setup: func(f *TargetGroups) { f.RejectIPs(netip.MustParseAddr("10.0.0.4")) },
			arn:   arnWeb, ts: tgts("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"),
			wantErr: elbv2.ErrInvalidTarget, wantDone: tgts("10.0.0.1:80", "10.0.0.2:80"),
			want: hs(targets.StateInitial, "10.0.0.1:80", "10.0.0.2:80"), wantSizes: []int{2, 2},
		},
		"a failing first batch is no partial success": {
			cfg:   Config{BatchSize: 2},
			setup: func(f *TargetGroups) { f.NextError(OpRegisterTargets, errBoom) },
			arn:   arnWeb, ts: tgts("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"),
			wantErr: errBoom, wantSizes: []int{2},
		},
		"registering nothing makes no request": {
			arn: arnWeb, ts: nil,
		},
		"the adapter's batch size is the default": {
			arn: arnWeb, ts: many(targets.MaxTargetsPerCall + 1),
			want: manyHealth(targets.MaxTargetsPerCall + 1), wantSizes: []int{targets.MaxTargetsPerCall, 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := withGroups(tc.cfg)
			if tc.setup != nil {
				tc.setup(f)
			}
			err := f.Register(context.Background(), tc.arn, tc.ts, elbv2.Write{})
			checkErr(t, err, tc.wantErr, tc.wantDone)
			wantTargets(t, f, arnWeb, tc.want)
			if got := sizes(f, OpRegisterTargets); !slices.Equal(got, tc.wantSizes) {
				t.Errorf("RegisterTargets requests carried %v targets, want %v", got, tc.wantSizes)
			}
		})
	}
}

func TestDeregister(t *testing.T) {
	cases := map[string]struct {
		cfg     Config
		start   []targets.Health
		arn     string
		ts      []targets.Target
		wantErr error
		want    []targets.Health
	}{
		"a registered target drains": {
			start: hs(targets.StateHealthy, "10.0.0.1:80", "10.0.0.2:80"),
			arn:   arnWeb, ts: tgts("10.0.0.1:80"),
			want: join(hs(targets.StateDraining, "10.0.0.1:80"), hs(targets.StateHealthy, "10.0.0.2:80")),
		},
		"DrainImmediately removes it at once": {
			cfg:   Config{DrainImmediately: true},
			start: hs(targets.StateHealthy, "10.0.0.1:80", "10.0.0.2:80"),
			arn:   arnWeb, ts: tgts("10.0.0.1:80"),
			want: hs(targets.StateHealthy, "10.0.0.2:80"),
		},
		"deregistering an unknown target succeeds and changes nothing": {
			start: hs(targets.StateHealthy, "10.0.0.2:80"),
			arn:   arnWeb, ts: tgts("10.0.0.1:80"),
			want: hs(targets.StateHealthy, "10.0.0.2:80"),
		},
		"a draining target keeps draining": {
			start: []targets.Health{{Target: tgt("10.0.0.1:80"), State: targets.StateUnhealthyDraining, Reason: "Target.DeregistrationInProgress"}},
			arn:   arnWeb, ts: tgts("10.0.0.1:80"),
			want: []targets.Health{{Target: tgt("10.0.0.1:80"), State: targets.StateUnhealthyDraining, Reason: "Target.DeregistrationInProgress"}},
		},
		"an unknown group is TargetGroupNotFound": {
			start: hs(targets.StateHealthy, "10.0.0.1:80"),
			arn:   "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/1", ts: tgts("10.0.0.1:80"),
			wantErr: elbv2.ErrTargetGroupNotFound,
			want:    hs(targets.StateHealthy, "10.0.0.1:80"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := withGroups(tc.cfg)
			f.SetTargets(arnWeb, tc.start...)
			err := f.Deregister(context.Background(), tc.arn, tc.ts, elbv2.Write{})
			checkErr(t, err, tc.wantErr, nil)
			wantTargets(t, f, arnWeb, tc.want)
			if got := f.Count(OpDeregisterTargets); got != 1 {
				t.Errorf("DeregisterTargets requests = %d, want 1", got)
			}
		})
	}
}

func TestDeregisterAfterAFailedBatchReportsTheFirstAsDone(t *testing.T) {
	f := withGroups(Config{BatchSize: 1})
	f.SetTargets(arnWeb, hs(targets.StateHealthy, "10.0.0.1:80", "10.0.0.2:80")...)
	f.NextError(OpDeregisterTargets, nil)
	f.NextError(OpDeregisterTargets, errBoom)
	err := f.Deregister(context.Background(), arnWeb, tgts("10.0.0.1:80", "10.0.0.2:80"), elbv2.Write{})
	checkErr(t, err, errBoom, tgts("10.0.0.1:80"))
	wantTargets(t, f, arnWeb, join(hs(targets.StateDraining, "10.0.0.1:80"), hs(targets.StateHealthy, "10.0.0.2:80")))
}

func TestSettle(t *testing.T) {
	f := withGroups(Config{})
	f.SetTargets(arnWeb, join(
		hs(targets.StateInitial, "10.0.0.1:80"),
		hs(targets.StateDraining, "10.0.0.2:80"),
		hs(targets.StateUnhealthyDraining, "10.0.0.3:80"),
		hs(targets.StateUnhealthy, "10.0.0.4:80"),
	)...)
	f.Settle()
	wantTargets(t, f, arnWeb, join(hs(targets.StateHealthy, "10.0.0.1:80"), hs(targets.StateUnhealthy, "10.0.0.4:80")))
}

func TestReads(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		read    func(*TargetGroups) (any, error)
		want    any
		wantErr error
		wantOp  string
	}{
		"DescribeTargetGroup returns the group": {
			read: func(f *TargetGroups) (any, error) { return f.DescribeTargetGroup(ctx, arnWeb) },
			want: web, wantOp: OpDescribeTargetGroups,
		},
		"DescribeTargetGroup of a deleted group is TargetGroupNotFound": {
			read: func(f *TargetGroups) (any, error) {
				f.RemoveGroup(arnWeb)
				return f.DescribeTargetGroup(ctx, arnWeb)
			},
			want: elbv2.TargetGroup{}, wantErr: elbv2.ErrTargetGroupNotFound, wantOp: OpDescribeTargetGroups,
		},
		"FindTargetGroupByName resolves the name": {
			read: func(f *TargetGroups) (any, error) { return f.FindTargetGroupByName(ctx, "api") },
			want: api, wantOp: OpDescribeTargetGroups,
		},
		"an unknown name is TargetGroupNotFound": {
			read: func(f *TargetGroups) (any, error) { return f.FindTargetGroupByName(ctx, "nope") },
			want: elbv2.TargetGroup{}, wantErr: elbv2.ErrTargetGroupNotFound, wantOp: OpDescribeTargetGroups,
		},
		"DeregistrationDelay is the group's": {
			read: func(f *TargetGroups) (any, error) { return f.DeregistrationDelay(ctx, arnWeb, elbv2.Required) },
			want: 30 * time.Second, wantOp: OpDescribeTargetGroupAttributes,
		},
		"DeregistrationDelay of an unknown group is TargetGroupNotFound": {
			read: func(f *TargetGroups) (any, error) { return f.DeregistrationDelay(ctx, "arn:x", elbv2.Required) },
			want: time.Duration(0), wantErr: elbv2.ErrTargetGroupNotFound, wantOp: OpDescribeTargetGroupAttributes,
		},
		"TargetHealth lists draining targets too": {
			read: func(f *TargetGroups) (any, error) {
				f.SetTargets(arnWeb, join(hs(targets.StateDraining, "10.0.0.2:80"), hs(targets.StateHealthy, "10.0.0.1:80"))...)
				return f.TargetHealth(ctx, arnWeb, elbv2.Required)
			},
			want:   join(hs(targets.StateHealthy, "10.0.0.1:80"), hs(targets.StateDraining, "10.0.0.2:80")),
			wantOp: OpDescribeTargetHealth,
		},
		"TargetHealth of an unknown group is TargetGroupNotFound": {
			read: func(f *TargetGroups) (any, error) { return f.TargetHealth(ctx, "arn:x", elbv2.Required) },
			want: []targets.Health(nil), wantErr: elbv2.ErrTargetGroupNotFound, wantOp: OpDescribeTargetHealth,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := withGroups(Config{})
			got, err := tc.read(f)
			checkErr(t, err, tc.wantErr, nil)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if calls := f.Calls(); len(calls) != 1 || calls[0].Op != tc.wantOp {
				t.Errorf("calls = %+v, want one %s", calls, tc.wantOp)
			}
		})
	}
}

func TestTargetGroupPage(t *testing.T) {
	cases := map[string]struct {
		pageSize  int
		groups    int
		wantPages []int
	}{
		"400 groups fit the default page":  {groups: 400, wantPages: []int{400}},
		"401 groups take two pages":        {groups: 401, wantPages: []int{400, 1}},
		"a small page size pages the rest": {pageSize: 2, groups: 5, wantPages: []int{2, 2, 1}},
		"no groups is one empty page":      {groups: 0, wantPages: []int{0}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(Config{PageSize: tc.pageSize})
			var want []string
			for i := range tc.groups {
				arn := fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/g%d/%d", i, i)
				f.AddGroup(elbv2.TargetGroup{ARN: arn, Name: fmt.Sprintf("g%d", i)}, 0)
				want = append(want, arn)
			}
			var got []string
			var pages []int
			marker := ""
			for {
				page, next, err := f.TargetGroupPage(context.Background(), marker)
				if err != nil {
					t.Fatalf("TargetGroupPage(%q): %v", marker, err)
				}
				pages = append(pages, len(page))
				for _, g := range page {
					got = append(got, g.ARN)
				}
				if next == "" {
					break
				}
				marker = next
			}
			if !slices.Equal(pages, tc.wantPages) || !slices.Equal(got, want) {
				t.Errorf("pages %v listing %d groups, want pages %v listing all %d in order", pages, len(got), tc.wantPages, len(want))
			}
		})
	}
}

func TestTargetGroupPageRejectsAForeignMarker(t *testing.T) {
	f := withGroups(Config{})
	if _, _, err := f.TargetGroupPage(context.Background(), "garbage"); !errors.Is(err, elbv2.ErrValidation) {
		t.Errorf("TargetGroupPage(garbage) = %v, want a ValidationError", err)
	}
}

func checkErr(t *testing.T, err, want error, wantDone []targets.Target) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want one matching %v", err, want)
	}
	var pe *elbv2.PartialError
	partial := errors.As(err, &pe)
	switch {
	case wantDone == nil && partial:
		t.Errorf("error is a *PartialError with %v done, want no partial success", pe.Done)
	case wantDone != nil && !partial:
		t.Errorf("error = %v, want a *PartialError", err)
	case wantDone != nil && !slices.Equal(pe.Done, wantDone):
		t.Errorf("PartialError.Done = %v, want %v", pe.Done, wantDone)
	}
	var ae *elbv2.APIError
	if errors.As(err, &ae) && (ae.Code == "" || ae.Op == "" || ae.Message == "") {
		t.Errorf("APIError %+v lacks an Op, Code or Message", ae)
	}
}

func many(n int) []targets.Target {
	out := make([]targets.Target, n)
	for i := range out {
		out[i] = targets.Target{IP: netip.AddrFrom4([4]byte{10, 1, byte(i / 256), byte(i % 256)}), Port: 8080}
	}
	return out
}

func manyHealth(n int) []targets.Health {
	out := make([]targets.Health, n)
	for i, t := range many(n) {
		out[i] = withState(targets.Health{Target: t}, targets.StateInitial)
	}
	return out
}

func TestConcurrentUse(t *testing.T) {
	f := withGroups(Config{BatchSize: 3})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ts := many(10)[i : i+2]
			_ = f.Register(ctx, arnWeb, ts, elbv2.Write{})
			_, _ = f.TargetHealth(ctx, arnWeb, elbv2.Spare)
			_ = f.Deregister(ctx, arnWeb, ts[:1], elbv2.Write{})
			f.Settle()
			_ = f.Calls()
		})
	}
	wg.Wait()
	if got := f.Count(OpRegisterTargets); got != 8 {
		t.Errorf("RegisterTargets requests = %d, want 8", got)
	}
}
