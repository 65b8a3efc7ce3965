package binding

import (
	"context"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Planner works out what a sync of a binding would write, and writes
// nothing: it reads Kubernetes through kube and AWS through the view. The
// controller syncs through one, and so does a paused binding's status and
// `kubectl tgc diff`, so that what they show is what a sync does.
//
// kube must answer the field indexes of Indexes: the manager's cache
// registers them, and a reader over the API server can filter with the
// same functions.
type Planner struct {
	kube   client.Reader
	groups Views
	clock  clock.PassiveClock
	cfg    PlannerConfig

	// deletions and goneNodes are the brake's evidence that the
	// controller saw happen; a planner outside it has none, and treats
	// such removals as unexplained.
	deletions *recentlyDeleted[podAddr]
	goneNodes *recentlyDeleted[string] // by EC2 instance
}

// PlannerConfig is the part of Config that decides a plan.
type PlannerConfig struct {
	// Gates lists pods held back only by tgc's readiness gates; nil means
	// no gates.
	Gates GatedPods
	// Ledger adds the targets recorded for the binding's Service to what a
	// multi-cluster binding owns; nil reads status.ownedTargets only.
	Ledger Ledger
	// Brake holds unexplained deregistrations; zero takes the defaults.
	Brake BrakeConfig
	// Live reads the Service from the API server, uncached, before the
	// brake holds anything, in case the cache has not seen an edit yet;
	// nil trusts kube.
	Live client.Reader
}

// NewPlanner returns a planner that reads through kube and groups.
func NewPlanner(kube client.Reader, groups Views, clk clock.PassiveClock, cfg PlannerConfig) *Planner {
	cfg.Brake = cfg.Brake.withDefaults()
	return &Planner{
		kube:      kube,
		groups:    groups,
		clock:     clk,
		cfg:       cfg,
		deletions: newRecentlyDeleted[podAddr](cfg.Brake.EvidenceTTL),
		goneNodes: newRecentlyDeleted[string](cfg.Brake.EvidenceTTL),
	}
}

// target finds which group the binding syncs: resolved, allowed to its
// namespace, and not held by another binding.
func (p *Planner) target(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (elbv2.TargetGroup, *failure) {
	if fail := p.checkRole(ctx, tgb); fail != nil {
		return elbv2.TargetGroup{}, fail
	}
	tg, fail := p.resolve(ctx, tgb)
	if fail != nil {
		return tg, fail
	}
	if fail := p.checkTenancy(ctx, tgb, tg); fail != nil {
		return tg, fail
	}
	if fail := p.checkConflict(ctx, tgb, tg.ARN); fail != nil {
		return tg, fail
	}
	return tg, nil
}

// wants finds what belongs in the group: the Service's endpoints (or
// nodes) of the group's IP family.
func (p *Planner) wants(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, tg elbv2.TargetGroup) (endpoints, *failure) {
	family, fail := ipFamily(tgb, tg)
	if fail != nil {
		return endpoints{}, fail
	}
	eps, fail := p.desired(ctx, tgb, family)
	eps.family = family
	return eps, fail
}

// planned is what a sync would write to a group.
type planned struct {
	// plan is after the brake: the removals it holds are in hold.
	plan  targets.Plan
	hold  hold
	owned map[targets.Target]bool
	// setAside are desired targets AWS rejected a while ago, left out.
	setAside []targets.Target
}

// planGroup compares the binding's endpoints with g, which the caller has
// locked and refreshed. edited says the binding or its Service was edited
// a short while ago, which explains every removal to the brake.
func (p *Planner) planGroup(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, eps endpoints, g *targetgroups.Group, edited bool) (planned, error) {
	owned, err := p.owned(ctx, tgb, g.ARN())
	if err != nil {
		return planned{}, err
	}
	// Targets AWS rejected stay out of the plan for a while, but not out of
	// the status: the binding is not synced while any is set aside.
	offer, setAside := g.WithoutRejected(eps.result.Targets, p.clock.Now())
	plan := targets.ComputePlan(targets.PlanInput{
		Desired:            offer,
		Stay:               eps.result.Stay,
		Actual:             g.Health(),
		Owned:              owned,
		AllowDeregisterAll: tgb.Spec.EmptyEndpointsPolicy == v1alpha1.EmptyEndpointsPolicyDeregister,
		Family:             eps.family,
	})
	// The brake: removals without evidence beyond its limits are held.
	h, err := p.brake(ctx, tgb, eps, &plan, len(offer), g.Health(), owned, edited)
	if err != nil {
		return planned{}, err
	}
	return planned{plan: plan, hold: h, owned: owned, setAside: setAside}, nil
}
