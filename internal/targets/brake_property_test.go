package targets

import (
	"math/rand/v2"
	"testing"
)

// FuzzBrakeProperties checks the brake on random plans: with no edit and no
// confirmation, it never releases more unexplained healthy removals than
// its limits allow, it never holds a removal that has evidence, and every
// removal is either released or held, never lost.
func FuzzBrakeProperties(f *testing.F) {
	for seed := range uint64(64) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		r := rand.New(rand.NewPCG(seed, seed*31+7))
		in := randomPlanInput(seed)
		plan := ComputePlan(in)
		evidence := map[Key]Evidence{}
		for _, d := range plan.Deregister {
			if r.IntN(3) == 0 {
				evidence[d.Key()] = EvidencePodLeaving
			}
		}
		limits := BrakeLimits{MaxFraction: float64(1+r.IntN(10)) / 10, MaxTargets: r.IntN(5)}
		res := Brake(BrakeInput{Deregister: plan.Deregister, Health: in.Actual, Owned: in.Owned, Evidence: evidence, Limits: limits})

		if got, want := len(res.Release)+len(res.Held), len(plan.Deregister); got != want {
			t.Fatalf("seed %d: %d released + held, want the plan's %d removals", seed, got, want)
		}
		healthy := map[Key]bool{} // taking traffic, or about to
		for _, h := range in.Actual {
			if protected(h.State) {
				healthy[h.Target.Key()] = true
			}
		}
		for _, h := range res.Held {
			if _, ok := evidence[h.Key()]; ok {
				t.Fatalf("seed %d: holds %s, whose removal has evidence", seed, h)
			}
		}
		unexplained := 0
		for _, d := range res.Release {
			if _, ok := evidence[d.Key()]; !ok && healthy[d.Key()] {
				unexplained++
			}
		}
		if unexplained > limits.MaxTargets {
			t.Fatalf("seed %d: released %d unexplained healthy removals, over the limit of %d", seed, unexplained, limits.MaxTargets)
		}
	})
}
