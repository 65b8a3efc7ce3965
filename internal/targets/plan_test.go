package targets

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func health(s string, state State, reason string) Health {
	return Health{Target: tgt(s), State: state, Reason: reason}
}

func healthy(ss ...string) []Health {
	var out []Health
	for _, s := range ss {
		out = append(out, health(s, StateHealthy, ""))
	}
	return out
}

func owned(ss ...string) map[Target]bool {
	m := map[Target]bool{}
	for _, s := range ss {
		m[tgt(s)] = true
	}
	return m
}

func TestComputePlan(t *testing.T) {
	zoned := tgt("10.244.0.1:8080")
	zoned.AvailabilityZone = "us-east-1a"

	cases := map[string]struct {
		in   PlanInput
		want Plan
	}{
		"a node that may stay is neither removed nor added": {
			in: PlanInput{Desired: tgts("i-0000000000000000a:30080"), Stay: tgts("i-0000000000000000b:30080", "i-0000000000000000c:30080"),
				Actual: healthy("i-0000000000000000a:30080", "i-0000000000000000b:30080")},
			want: Plan{},
		},
		"a node neither desired nor staying is deregistered": {
			in:   PlanInput{Desired: tgts("i-0000000000000000a:30080"), Actual: healthy("i-0000000000000000a:30080", "i-0000000000000000b:30080")},
			want: Plan{Deregister: tgts("i-0000000000000000b:30080")},
		},
		"an IPv4 address is never registered in an IPv6 group": {
			in:   PlanInput{Family: corev1.IPv6Protocol, Desired: tgts("[fd00:10:244::5]:8080", "10.244.0.5:8080")},
			want: Plan{Register: tgts("[fd00:10:244::5]:8080"), WrongFamily: tgts("10.244.0.5:8080")},
		},
		"an IPv4-mapped IPv6 address counts as IPv4 for an IPv6 group": {
			in:   PlanInput{Family: corev1.IPv6Protocol, Desired: tgts("[::ffff:10.244.0.5]:8080")},
			want: Plan{WrongFamily: tgts("[::ffff:10.244.0.5]:8080")},
		},
		"an IPv6 address is never registered in an IPv4 group": {
			in:   PlanInput{Family: corev1.IPv4Protocol, Desired: tgts("10.244.0.5:8080", "[fd00:10:244::5]:8080"), Actual: healthy("10.244.0.5:8080")},
			want: Plan{WrongFamily: tgts("[fd00:10:244::5]:8080")},
		},
		"only wrong-family targets desired: the group is not emptied": {
			in:   PlanInput{Family: corev1.IPv6Protocol, Desired: tgts("10.244.0.5:8080"), Actual: healthy("[fd00:10:244::5]:8080")},
			want: Plan{Withheld: tgts("[fd00:10:244::5]:8080"), WrongFamily: tgts("10.244.0.5:8080")},
		},
		"instance targets have no family to check": {
			in:   PlanInput{Family: corev1.IPv6Protocol, Desired: tgts("i-0000000000000000a:30080")},
			want: Plan{Register: tgts("i-0000000000000000a:30080")},
		},
		"nothing to do when the group matches": {
			in:   PlanInput{Desired: tgts("10.244.0.1:8080"), Actual: healthy("10.244.0.1:8080")},
			want: Plan{},
		},
		"new endpoint is registered": {
			in:   PlanInput{Desired: tgts("10.244.0.1:8080", "10.244.0.2:8080"), Actual: healthy("10.244.0.1:8080")},
			want: Plan{Register: tgts("10.244.0.2:8080")},
		},
		"terminating endpoint is deregistered even while serving": {
			// Desired already excludes terminating endpoints (see TestDesired);
			// what is left in the group must go.
			in:   PlanInput{Desired: tgts("10.244.0.2:8080"), Actual: healthy("10.244.0.1:8080", "10.244.0.2:8080")},
			want: Plan{Deregister: tgts("10.244.0.1:8080")},
		},
		"draining target that is desired again is re-registered": {
			in:   PlanInput{Desired: tgts("10.244.0.1:8080"), Actual: []Health{health("10.244.0.1:8080", StateDraining, ReasonDeregistrationInProgress)}},
			want: Plan{Register: tgts("10.244.0.1:8080")},
		},
		"unhealthy draining target that is desired again is re-registered": {
			in:   PlanInput{Desired: tgts("10.244.0.1:8080"), Actual: []Health{health("10.244.0.1:8080", StateUnhealthyDraining, "")}},
			want: Plan{Register: tgts("10.244.0.1:8080")},
		},
		"draining target that is not desired is left to drain": {
			in:   PlanInput{Desired: tgts("10.244.0.2:8080"), Actual: append(healthy("10.244.0.2:8080"), health("10.244.0.1:8080", StateDraining, ""))},
			want: Plan{},
		},
		"target reported as not registered is registered": {
			in:   PlanInput{Desired: tgts("10.244.0.1:8080"), Actual: []Health{health("10.244.0.1:8080", StateUnused, ReasonNotRegistered)}},
			want: Plan{Register: tgts("10.244.0.1:8080")},
		},
		"not registered target that is not desired needs no deregistration": {
			in:   PlanInput{Desired: tgts("10.244.0.2:8080"), Actual: append(healthy("10.244.0.2:8080"), health("10.244.0.1:8080", StateUnused, ReasonNotRegistered))},
			want: Plan{},
		},
		"initial, unhealthy and unused targets are members and not registered again": {
			in: PlanInput{Desired: tgts("10.244.0.1:8080", "10.244.0.2:8080", "10.244.0.3:8080"), Actual: []Health{
				health("10.244.0.1:8080", StateInitial, ReasonRegistrationInProgress),
				health("10.244.0.2:8080", StateUnhealthy, "Target.Timeout"),
				health("10.244.0.3:8080", StateUnused, "Target.NotInUse"),
			}},
			want: Plan{},
		},
		"target reported with a zone matches the desired target without one": {
			in:   PlanInput{Desired: tgts("10.244.0.1:8080"), Actual: []Health{{Target: zoned, State: StateHealthy}}},
			want: Plan{},
		},
		"deregistration names the zone AWS reported": {
			in:   PlanInput{Desired: tgts("10.244.0.2:8080"), Actual: append(healthy("10.244.0.2:8080"), Health{Target: zoned, State: StateHealthy})},
			want: Plan{Deregister: []Target{zoned}},
		},
		"same ip on another port is a different target": {
			in:   PlanInput{Desired: tgts("10.244.0.1:9090"), Actual: healthy("10.244.0.1:8080")},
			want: Plan{Deregister: tgts("10.244.0.1:8080"), Register: tgts("10.244.0.1:9090")},
		},
		"another cluster's target is left alone in multi-cluster mode": {
			in: PlanInput{
				Desired: tgts("10.244.0.2:8080"),
				Actual:  healthy("10.244.0.1:8080", "10.244.0.2:8080", "10.245.0.1:8080"),
				Owned:   owned("10.244.0.1:8080", "10.244.0.2:8080"),
			},
			want: Plan{Deregister: tgts("10.244.0.1:8080")},
		},
		"owned target is deregistered in multi-cluster mode": {
			in:   PlanInput{Actual: healthy("10.244.0.1:8080"), Owned: owned("10.244.0.1:8080"), AllowDeregisterAll: true},
			want: Plan{Deregister: tgts("10.244.0.1:8080")},
		},
		"empty owned set deregisters nothing": {
			in:   PlanInput{Desired: tgts("10.244.0.2:8080"), Actual: healthy("10.244.0.1:8080", "10.244.0.2:8080"), Owned: map[Target]bool{}},
			want: Plan{},
		},
		"empty desired set withholds deregistration unless allowed": {
			in:   PlanInput{Actual: healthy("10.244.0.1:8080", "10.244.0.2:8080")},
			want: Plan{Withheld: tgts("10.244.0.1:8080", "10.244.0.2:8080")},
		},
		"empty desired set deregisters everything when allowed": {
			in:   PlanInput{Actual: healthy("10.244.0.2:8080", "10.244.0.1:8080"), AllowDeregisterAll: true},
			want: Plan{Deregister: tgts("10.244.0.1:8080", "10.244.0.2:8080")},
		},
		"rolling update deregisters the old and registers the new in one plan": {
			in:   PlanInput{Desired: tgts("10.244.0.3:8080", "10.244.0.2:8080"), Actual: healthy("10.244.0.1:8080", "10.244.0.2:8080")},
			want: Plan{Deregister: tgts("10.244.0.1:8080"), Register: tgts("10.244.0.3:8080")},
		},
		"duplicate entries are planned once and results are sorted": {
			in: PlanInput{
				Desired: tgts("10.244.0.9:8080", "10.244.0.3:8080", "10.244.0.9:8080"),
				Actual:  healthy("10.244.0.7:8080", "10.244.0.5:8080", "10.244.0.7:8080"),
			},
			want: Plan{Deregister: tgts("10.244.0.5:8080", "10.244.0.7:8080"), Register: tgts("10.244.0.3:8080", "10.244.0.9:8080")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ComputePlan(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ComputePlan() = %+v, want %+v", got, tc.want)
			}
			if got.Empty() != (len(tc.want.Register) == 0 && len(tc.want.Deregister) == 0) {
				t.Errorf("Empty() = %v for %+v", got.Empty(), got)
			}
		})
	}
}

func TestPlanStepsDeregisterBeforeRegister(t *testing.T) {
	cases := map[string]struct {
		plan Plan
		want []Op
	}{
		"both kinds: deregistration first": {plan: Plan{Register: tgts("10.244.0.2:80"), Deregister: tgts("10.244.0.1:80")}, want: []Op{OpDeregister, OpRegister}},
		"only registration":                {plan: Plan{Register: tgts("10.244.0.2:80")}, want: []Op{OpRegister}},
		"only deregistration":              {plan: Plan{Deregister: tgts("10.244.0.1:80")}, want: []Op{OpDeregister}},
		"withheld targets make no step":    {plan: Plan{Withheld: tgts("10.244.0.1:80")}, want: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var ops []Op
			for _, s := range tc.plan.Steps() {
				ops = append(ops, s.Op)
				if len(s.Targets) == 0 {
					t.Errorf("step %s has no targets", s.Op)
				}
			}
			if !reflect.DeepEqual(ops, tc.want) {
				t.Errorf("Steps() ops = %v, want %v", ops, tc.want)
			}
		})
	}
}
