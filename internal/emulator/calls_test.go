package emulator

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestCallLogRecordsTheTargetIDsEachCallCarried(t *testing.T) {
	h := start(t)
	tg := h.group() // port 8080
	noPort := types.TargetDescription{Id: aws.String("10.244.0.3")}
	cases := map[string]struct {
		call func() error
		want []string
	}{
		"register names id and port, the group's port when none is given": {
			call: func() error {
				_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80), noPort}})
				return err
			},
			want: []string{"10.244.0.1:80", "10.244.0.3:8080"},
		},
		"deregister of an unknown target is still logged with its ID": {
			call: func() error {
				_, err := h.c.DeregisterTargets(h.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.9.9", 81)}})
				return err
			},
			want: []string{"10.244.9.9:81"},
		},
		"describe with a target list names those targets": {
			call: func() error {
				_, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
				return err
			},
			want: []string{"10.244.0.1:80"},
		},
		"describe of the whole group names no target": {
			call: func() error {
				_, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
				return err
			},
			want: nil,
		},
		"an IPv6 address is logged in its canonical form": {
			call: func() error {
				_, err := h.c.DeregisterTargets(h.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("2001:db8:0:0::1", 80)}})
				return err
			},
			want: []string{"2001:db8::1:80"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := len(h.emu.Calls())
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			calls := h.emu.Calls()
			if len(calls) != before+1 {
				t.Fatalf("%d calls logged, want 1", len(calls)-before)
			}
			got := calls[len(calls)-1]
			if !slices.Equal(got.TargetIDs, tc.want) {
				t.Errorf("TargetIDs = %q, want %q", got.TargetIDs, tc.want)
			}
			if got.Targets != len(tc.want) {
				t.Errorf("Targets = %d, want %d", got.Targets, len(tc.want))
			}
		})
	}
}

func TestCallTimeIsTheStartAndEndIsTheCompletion(t *testing.T) {
	h := start(t)
	tg := h.group()
	const latency = 100 * time.Millisecond
	if err := h.emu.SetFaults(Faults{Latency: latency}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if _, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	calls := h.emu.Calls()
	c := calls[len(calls)-1]
	if c.Time.Before(before) || c.Time.After(before.Add(latency)) {
		t.Errorf("Time = %v, want the start of the call, within %v of %v", c.Time, latency, before)
	}
	if c.Duration < latency {
		t.Errorf("Duration = %v, want at least the injected %v", c.Duration, latency)
	}
	if c.End().Before(before.Add(latency)) || c.End().After(after) {
		t.Errorf("End = %v, want between %v and the answer at %v", c.End(), before.Add(latency), after)
	}
}

func TestRefillThrottleBucketsLetsAFullBurstThroughAgain(t *testing.T) {
	h := start(t, func(c *Config) {
		c.Throttle = Throttle{Register: RateLimit{PerSecond: 0.001, Burst: 2}}
	})
	tg := h.group()
	register := func() string {
		_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
		return errorCode(err)
	}
	var drained []string
	for range 3 {
		drained = append(drained, register())
	}
	if !slices.Equal(drained, []string{"", "", "Throttling"}) {
		t.Fatalf("draining a burst of 2: codes %q, want two successes then Throttling", drained)
	}
	h.emu.RefillThrottleBuckets()
	var refilled []string
	for range 3 {
		refilled = append(refilled, register())
	}
	if !slices.Equal(refilled, []string{"", "", "Throttling"}) {
		t.Fatalf("after the refill: codes %q, want a whole burst of 2 then Throttling", refilled)
	}
	if got := h.emu.Throttle().Register; got != (RateLimit{PerSecond: 0.001, Burst: 2}) {
		t.Fatalf("refill changed the settings: register = %+v", got)
	}
}
