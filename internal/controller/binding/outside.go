package binding

import (
	"slices"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// outsideChanges are the changes to a target group that tgc did not make,
// found by comparing the membership tgc last knew with the one AWS just
// returned. Targets that merely changed health are not among them.
type outsideChanges struct {
	// Drift, which the plan undoes: targets added by hand (deregistered
	// again) and removed by hand (registered again).
	unexpected, missing []targets.Target
	// Foreign changes, which tgc leaves as they are: in a multi-cluster
	// group, the other owners' targets coming and going; otherwise a change
	// that already matches the Service's endpoints.
	added, removed []targets.Target
}

func (o outsideChanges) drift() bool   { return len(o.unexpected) > 0 || len(o.missing) > 0 }
func (o outsideChanges) foreign() bool { return len(o.added) > 0 || len(o.removed) > 0 }

// classifyOutside sorts the changes between before and after by whether
// plan undoes them. Each list is in target order.
func classifyOutside(before map[targets.Key]targets.Target, after []targets.Health, plan targets.Plan) outsideChanges {
	now := targets.Members(after)
	deregistering := keyset(plan.Deregister)
	registering := keyset(plan.Register)
	var o outsideChanges
	for _, t := range plan.Deregister {
		if _, was := before[t.Key()]; !was {
			o.unexpected = append(o.unexpected, t)
		}
	}
	for _, t := range plan.Register {
		_, was := before[t.Key()]
		_, is := now[t.Key()]
		if was && !is {
			o.missing = append(o.missing, t)
		}
	}
	for k, t := range now {
		if _, was := before[k]; !was && !deregistering[k] {
			o.added = append(o.added, t)
		}
	}
	for k, t := range before {
		if _, is := now[k]; !is && !registering[k] {
			o.removed = append(o.removed, t)
		}
	}
	slices.SortFunc(o.added, targets.Compare)
	slices.SortFunc(o.removed, targets.Compare)
	return o
}
