package fake

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

var denied = &elbv2.APIError{Op: OpDescribeTargetHealth, Code: "AccessDenied", Message: "not allowed", Kind: elbv2.ErrAccessDenied}

func TestInjectedErrors(t *testing.T) {
	ctx := context.Background()
	health := func(f *TargetGroups, arn string) error {
		_, err := f.TargetHealth(ctx, arn, elbv2.Required)
		return err
	}
	cases := map[string]struct {
		inject func(*TargetGroups)
		run    func(*TargetGroups) []error
		want   []error // per run step, matched with errors.Is; nil is success
	}{
		"the next error fails one request only": {
			inject: func(f *TargetGroups) { f.NextError(OpDescribeTargetHealth, errBoom) },
			run:    func(f *TargetGroups) []error { return []error{health(f, arnWeb), health(f, arnWeb)} },
			want:   []error{errBoom, nil},
		},
		"queued errors are used first in first out": {
			inject: func(f *TargetGroups) {
				f.NextError(OpDescribeTargetHealth, errBoom)
				f.NextError(OpDescribeTargetHealth, denied)
			},
			run:  func(f *TargetGroups) []error { return []error{health(f, arnWeb), health(f, arnAPI), health(f, arnWeb)} },
			want: []error{errBoom, elbv2.ErrAccessDenied, nil},
		},
		"an error queued for one action leaves the others alone": {
			inject: func(f *TargetGroups) { f.NextError(OpRegisterTargets, errBoom) },
			run: func(f *TargetGroups) []error {
				return []error{health(f, arnWeb), f.Deregister(ctx, arnWeb, tgts("10.0.0.1:80"), elbv2.Write{}), f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), elbv2.Write{})}
			},
			want: []error{nil, nil, errBoom},
		},
		"an error for one group lasts until cleared and spares the others": {
			inject: func(f *TargetGroups) { f.ErrorFor(OpDescribeTargetHealth, arnWeb, denied) },
			run: func(f *TargetGroups) []error {
				errs := []error{health(f, arnWeb), health(f, arnWeb), health(f, arnAPI)}
				f.ErrorFor(OpDescribeTargetHealth, arnWeb, nil)
				return append(errs, health(f, arnWeb))
			},
			want: []error{elbv2.ErrAccessDenied, elbv2.ErrAccessDenied, nil, nil},
		},
		"an error for no group hits every group": {
			inject: func(f *TargetGroups) { f.ErrorFor(OpDescribeTargetHealth, "", denied) },
			run:    func(f *TargetGroups) []error { return []error{health(f, arnWeb), health(f, arnAPI)} },
			want:   []error{elbv2.ErrAccessDenied, elbv2.ErrAccessDenied},
		},
		"an error for a group hits its lookup by name": {
			inject: func(f *TargetGroups) { f.ErrorFor(OpDescribeTargetGroups, arnAPI, denied) },
			run: func(f *TargetGroups) []error {
				_, err1 := f.FindTargetGroupByName(ctx, "api")
				_, err2 := f.FindTargetGroupByName(ctx, "web")
				return []error{err1, err2}
			},
			want: []error{elbv2.ErrAccessDenied, nil},
		},
		"a queued error comes before a lasting one": {
			inject: func(f *TargetGroups) {
				f.ErrorFor(OpDescribeTargetHealth, arnWeb, denied)
				f.NextError(OpDescribeTargetHealth, errBoom)
			},
			run:  func(f *TargetGroups) []error { return []error{health(f, arnWeb), health(f, arnWeb)} },
			want: []error{errBoom, elbv2.ErrAccessDenied},
		},
		"ClearErrors drops queued and lasting errors": {
			inject: func(f *TargetGroups) {
				f.NextError(OpDescribeTargetHealth, errBoom)
				f.ErrorFor(OpDescribeTargetHealth, "", denied)
				f.ClearErrors()
			},
			run:  func(f *TargetGroups) []error { return []error{health(f, arnWeb)} },
			want: []error{nil},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := withGroups(Config{})
			tc.inject(f)
			got := tc.run(f)
			for i, err := range got {
				if (tc.want[i] == nil) != (err == nil) || (err != nil && !errors.Is(err, tc.want[i])) {
					t.Errorf("step %d: error = %v, want %v", i, err, tc.want[i])
				}
			}
		})
	}
}

func TestAnInjectedErrorChangesNothing(t *testing.T) {
	f := withGroups(Config{})
	f.SetTargets(arnWeb, hs(targets.StateHealthy, "10.0.0.1:80")...)
	f.NextError(OpRegisterTargets, errBoom)
	f.NextError(OpDeregisterTargets, errBoom)
	ctx := context.Background()
	if err := f.Register(ctx, arnWeb, tgts("10.0.0.2:80"), elbv2.Write{}); !errors.Is(err, errBoom) {
		t.Errorf("Register = %v, want the injected error", err)
	}
	if err := f.Deregister(ctx, arnWeb, tgts("10.0.0.1:80"), elbv2.Write{}); !errors.Is(err, errBoom) {
		t.Errorf("Deregister = %v, want the injected error", err)
	}
	wantTargets(t, f, arnWeb, hs(targets.StateHealthy, "10.0.0.1:80"))
	calls := f.Calls()
	if len(calls) != 2 || !errors.Is(calls[0].Err, errBoom) || !errors.Is(calls[1].Err, errBoom) {
		t.Errorf("calls = %+v, want both failed requests recorded with their error", calls)
	}
}

func TestRateLimitDeferrals(t *testing.T) {
	ctx := context.Background()
	bounded := elbv2.Write{MaxWait: time.Second}
	cases := map[string]struct {
		setup         func(*TargetGroups)
		run           func(*TargetGroups) error
		wantDeferred  bool // errors.Is(err, elbv2.ErrDeferred)
		wantAfter     time.Duration
		wantCalls     int
		wantDeferrals int
		want          []targets.Health
	}{
		"a deferred register reaches no AWS and changes nothing": {
			setup:        func(f *TargetGroups) { f.Defer(OpRegisterTargets, 3*time.Second) },
			run:          func(f *TargetGroups) error { return f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), bounded) },
			wantDeferred: true, wantAfter: 3 * time.Second, wantCalls: 0, wantDeferrals: 1,
		},
		"a deferral is used once": {
			setup: func(f *TargetGroups) {
				f.Defer(OpRegisterTargets, time.Second)
				_ = f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), bounded)
			},
			run:       func(f *TargetGroups) error { return f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), bounded) },
			wantCalls: 1, want: hs(targets.StateInitial, "10.0.0.1:80"),
		},
		"a write that may wait unboundedly is not deferred": {
			setup:     func(f *TargetGroups) { f.Defer(OpRegisterTargets, time.Second) },
			run:       func(f *TargetGroups) error { return f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), elbv2.Write{}) },
			wantCalls: 1, want: hs(targets.StateInitial, "10.0.0.1:80"),
		},
		"a deferred register does not defer a deregister": {
			setup: func(f *TargetGroups) {
				f.SetTargets(arnWeb, hs(targets.StateHealthy, "10.0.0.1:80")...)
				f.Defer(OpRegisterTargets, time.Second)
			},
			run:       func(f *TargetGroups) error { return f.Deregister(ctx, arnWeb, tgts("10.0.0.1:80"), bounded) },
			wantCalls: 1, want: hs(targets.StateDraining, "10.0.0.1:80"),
		},
		"a deferred deregister leaves the target serving": {
			setup: func(f *TargetGroups) {
				f.SetTargets(arnWeb, hs(targets.StateHealthy, "10.0.0.1:80")...)
				f.Defer(OpDeregisterTargets, time.Second)
			},
			run:          func(f *TargetGroups) error { return f.Deregister(ctx, arnWeb, tgts("10.0.0.1:80"), bounded) },
			wantDeferred: true, wantAfter: time.Second, wantDeferrals: 1, want: hs(targets.StateHealthy, "10.0.0.1:80"),
		},
		"a spare read is refused while spare tokens are out": {
			setup: func(f *TargetGroups) { f.SetSpareUnavailable(true) },
			run: func(f *TargetGroups) error {
				_, err := f.TargetHealth(ctx, arnWeb, elbv2.Spare)
				return err
			},
			wantDeferred: true, wantDeferrals: 1,
		},
		"a required read goes through while spare tokens are out": {
			setup: func(f *TargetGroups) { f.SetSpareUnavailable(true) },
			run: func(f *TargetGroups) error {
				_, err := f.DeregistrationDelay(ctx, arnWeb, elbv2.Required)
				return err
			},
			wantCalls: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := withGroups(Config{})
			tc.setup(f)
			f.ResetCalls()
			err := tc.run(f)
			if got := errors.Is(err, elbv2.ErrDeferred); got != tc.wantDeferred || (!got && err != nil) {
				t.Fatalf("error = %v, want deferred %v", err, tc.wantDeferred)
			}
			var de *elbv2.DeferredError
			if errors.As(err, &de) && de.After != tc.wantAfter {
				t.Errorf("deferred for %s, want %s", de.After, tc.wantAfter)
			}
			if got := len(f.Calls()); got != tc.wantCalls {
				t.Errorf("calls that reached AWS = %d, want %d", got, tc.wantCalls)
			}
			if got := len(f.Deferrals()); got != tc.wantDeferrals {
				t.Errorf("deferrals = %d, want %d", got, tc.wantDeferrals)
			}
			wantTargets(t, f, arnWeb, tc.want)
		})
	}
}

func TestDeferredErrorNamesTheAction(t *testing.T) {
	f := withGroups(Config{})
	f.Defer(OpDeregisterTargets, time.Second)
	err := f.Deregister(context.Background(), arnWeb, tgts("10.0.0.1:80"), elbv2.Write{MaxWait: time.Millisecond})
	var de *elbv2.DeferredError
	if !errors.As(err, &de) || de.Op != OpDeregisterTargets {
		t.Fatalf("error = %#v, want a *DeferredError for %s", err, OpDeregisterTargets)
	}
}

func TestCallsAreRecordedAsTheELBv2Actions(t *testing.T) {
	f := withGroups(Config{})
	ctx := context.Background()
	w := elbv2.Write{MaxWait: 2 * time.Second}
	_, _, _ = f.TargetGroupPage(ctx, "")
	_, _ = f.DescribeTargetGroup(ctx, arnWeb)
	_, _ = f.FindTargetGroupByName(ctx, "api")
	_, _ = f.DeregistrationDelay(ctx, arnWeb, elbv2.Spare)
	_, _ = f.TargetHealth(ctx, arnWeb, elbv2.Spare)
	_ = f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), w)
	_ = f.Deregister(ctx, arnWeb, tgts("10.0.0.1:80"), w)
	want := []Call{
		{Op: OpDescribeTargetGroups},
		{Op: OpDescribeTargetGroups, ARN: arnWeb},
		{Op: OpDescribeTargetGroups, ARN: arnAPI, Name: "api"},
		{Op: OpDescribeTargetGroupAttributes, ARN: arnWeb, Priority: elbv2.Spare},
		{Op: OpDescribeTargetHealth, ARN: arnWeb, Priority: elbv2.Spare},
		{Op: OpRegisterTargets, ARN: arnWeb, Targets: tgts("10.0.0.1:80"), Write: w},
		{Op: OpDeregisterTargets, ARN: arnWeb, Targets: tgts("10.0.0.1:80"), Write: w},
	}
	if got := f.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls =\n%+v\nwant\n%+v", got, want)
	}
	if got := f.CallsOf(OpDescribeTargetGroups); len(got) != 3 {
		t.Errorf("CallsOf(DescribeTargetGroups) = %d calls, want 3", len(got))
	}
	if got := f.Count(OpRegisterTargets); got != 1 {
		t.Errorf("Count(RegisterTargets) = %d, want 1", got)
	}
}

func TestNoSliceIsSharedWithCallers(t *testing.T) {
	f := withGroups(Config{})
	ctx := context.Background()
	in := tgts("10.0.0.1:80", "10.0.0.2:80")
	if err := f.Register(ctx, arnWeb, in, elbv2.Write{}); err != nil {
		t.Fatal(err)
	}
	in[0].Port = 9 // the caller reuses its slice

	f.Calls()[0].Targets[1].Port = 9
	f.Targets(arnWeb)[0].State = targets.StateUnhealthy
	h, _ := f.TargetHealth(ctx, arnWeb, elbv2.Required)
	h[0].State = targets.StateUnhealthy
	g, _ := f.DescribeTargetGroup(ctx, arnWeb)
	g.LoadBalancerARNs[0] = "changed"
	lbs := []string{"lb"}
	f.AddGroup(elbv2.TargetGroup{ARN: arnAPI, Name: "api", LoadBalancerARNs: lbs}, 0)
	lbs[0] = "changed"

	wantTargets(t, f, arnWeb, hs(targets.StateInitial, "10.0.0.1:80", "10.0.0.2:80"))
	if got := f.CallsOf(OpRegisterTargets)[0].Targets; !slices.Equal(got, tgts("10.0.0.1:80", "10.0.0.2:80")) {
		t.Errorf("recorded targets = %v, changed by a caller", got)
	}
	if g, _ := f.DescribeTargetGroup(ctx, arnWeb); !reflect.DeepEqual(g, web) {
		t.Errorf("group = %+v, changed by a caller", g)
	}
	if g, _ := f.DescribeTargetGroup(ctx, arnAPI); g.LoadBalancerARNs[0] != "lb" {
		t.Errorf("group's load balancers = %v, changed by a caller", g.LoadBalancerARNs)
	}
}

func TestPartialErrorDoneIsACopy(t *testing.T) {
	f := withGroups(Config{BatchSize: 1})
	f.NextError(OpRegisterTargets, nil)
	f.NextError(OpRegisterTargets, errBoom)
	in := tgts("10.0.0.1:80", "10.0.0.2:80")
	var pe *elbv2.PartialError
	if err := f.Register(context.Background(), arnWeb, in, elbv2.Write{}); !errors.As(err, &pe) {
		t.Fatalf("Register = %v, want a *PartialError", err)
	}
	pe.Done = append(pe.Done, tgt("192.0.2.1:1"))
	if in[1] != tgt("10.0.0.2:80") {
		t.Errorf("appending to Done overwrote the caller's targets: %v", in)
	}
}

func TestResetAndResetCalls(t *testing.T) {
	ctx := context.Background()
	f := withGroups(Config{})
	_ = f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), elbv2.Write{})
	f.NextError(OpDescribeTargetHealth, errBoom)

	f.ResetCalls()
	if got := f.Calls(); len(got) != 0 {
		t.Errorf("after ResetCalls, calls = %+v", got)
	}
	if _, err := f.TargetHealth(ctx, arnWeb, elbv2.Required); !errors.Is(err, errBoom) {
		t.Errorf("ResetCalls dropped the injected error: %v", err)
	}
	wantTargets(t, f, arnWeb, hs(targets.StateInitial, "10.0.0.1:80"))

	f.NextError(OpDescribeTargetHealth, errBoom)
	f.SetSpareUnavailable(true)
	f.Reset()
	if got := f.Calls(); len(got) != 0 {
		t.Errorf("after Reset, calls = %+v", got)
	}
	if _, err := f.TargetHealth(ctx, arnWeb, elbv2.Spare); !errors.Is(err, elbv2.ErrTargetGroupNotFound) {
		t.Errorf("after Reset, TargetHealth = %v, want the group gone and nothing injected", err)
	}
}

func TestATypoInAnActionNameFailsLoudly(t *testing.T) {
	cases := map[string]func(*TargetGroups){
		"NextError with an unknown action":    func(f *TargetGroups) { f.NextError("RegisterTarget", errBoom) },
		"ErrorFor with an unknown action":     func(f *TargetGroups) { f.ErrorFor("Register", arnWeb, errBoom) },
		"Defer of a read":                     func(f *TargetGroups) { f.Defer(OpDescribeTargetHealth, time.Second) },
		"Count of an unknown action":          func(f *TargetGroups) { f.Count("TargetHealth") },
		"setting targets of an unknown group": func(f *TargetGroups) { f.SetTargets("arn:x") },
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			call(withGroups(Config{}))
		})
	}
}

func TestACancelledContextNeverReachesAWS(t *testing.T) {
	f := withGroups(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Register(ctx, arnWeb, tgts("10.0.0.1:80"), elbv2.Write{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Register = %v, want context.Canceled", err)
	}
	if got := f.Calls(); len(got) != 0 {
		t.Errorf("calls = %+v, want none", got)
	}
	wantTargets(t, f, arnWeb, nil)
}
