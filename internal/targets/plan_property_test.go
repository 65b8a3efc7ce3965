package targets

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
)

// randomPlanInput draws a group of up to 40 targets over 12 addresses, in
// every health state, with a random desired set and, half the time, a random
// owned set (multi-cluster mode).
func randomPlanInput(seed uint64) PlanInput {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	target := func() Target {
		return Target{IP: netip.AddrFrom4([4]byte{10, 244, 0, byte(1 + r.IntN(12))}), Port: int32(8080 + r.IntN(2))}
	}
	states := []State{StateInitial, StateHealthy, StateUnhealthy, StateUnused, StateDraining, StateUnavailable, StateUnhealthyDraining}
	var in PlanInput
	for range r.IntN(20) {
		in.Desired = append(in.Desired, target())
	}
	listed := map[Key]bool{} // AWS lists a target once
	for range r.IntN(20) {
		h := Health{Target: target(), State: states[r.IntN(len(states))]}
		if listed[h.Target.Key()] {
			continue
		}
		listed[h.Target.Key()] = true
		if h.State == StateUnused && r.IntN(2) == 0 {
			h.Reason = ReasonNotRegistered
		}
		in.Actual = append(in.Actual, h)
	}
	if r.IntN(2) == 0 {
		in.Owned = map[Target]bool{}
		for range r.IntN(12) {
			in.Owned[target()] = true
		}
	}
	in.AllowDeregisterAll = r.IntN(2) == 0
	return in
}

// FuzzPlanProperties checks the planner's promises on random groups:
//   - a desired target (its endpoint is ready) is never deregistered;
//   - in multi-cluster mode, only owned targets are ever deregistered;
//   - an empty desired set removes nothing unless the policy allows it;
//   - the same input always gives the same plan.
func FuzzPlanProperties(f *testing.F) {
	for seed := range uint64(64) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		in := randomPlanInput(seed)
		plan := ComputePlan(in)
		desired := map[Key]bool{}
		for _, d := range in.Desired {
			desired[d.Key()] = true
		}
		owned := map[Key]bool{}
		for o := range in.Owned {
			owned[o.Key()] = true
		}
		for _, d := range plan.Deregister {
			if desired[d.Key()] {
				t.Fatalf("seed %d: deregisters desired target %s: %+v", seed, d, plan)
			}
			if in.Owned != nil && !owned[d.Key()] {
				t.Fatalf("seed %d: deregisters %s, which the binding does not own", seed, d)
			}
		}
		if len(in.Desired) == 0 && !in.AllowDeregisterAll && len(plan.Deregister) > 0 {
			t.Fatalf("seed %d: an empty desired set deregisters %v under Retain", seed, plan.Deregister)
		}
		if again := ComputePlan(in); !reflect.DeepEqual(plan, again) {
			t.Fatalf("seed %d: planning twice gave %+v then %+v", seed, plan, again)
		}
	})
}
