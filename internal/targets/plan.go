package targets

import corev1 "k8s.io/api/core/v1"

// PlanInput is what ComputePlan compares.
type PlanInput struct {
	// Desired are the targets the group should hold (DesiredResult.Targets).
	Desired []Target
	// Stay are targets that may stay in the group if they are there, but
	// are not registered (DesiredResult.Stay).
	Stay []Target
	// Actual is the group as DescribeTargetHealth last reported it, kept
	// current by tgc's own successful calls.
	Actual []Health
	// Owned, when non-nil, limits deregistration to these targets. It is set
	// for multiClusterTargetGroup bindings, where other clusters register
	// into the same group and tgc must never remove what it did not add.
	// Keys are matched by IP and port (Target.Key); their zone is ignored.
	Owned map[Target]bool
	// AllowDeregisterAll permits a plan that empties the group of everything
	// tgc may remove because Desired is empty. When false such targets are
	// reported in Plan.Withheld instead: a Service that vanished or an
	// EndpointSlice list that came back empty must not silently take a
	// service off its load balancer. The controller decides from
	// the binding's policy and emits an Event either way.
	AllowDeregisterAll bool
	// Family, when set, is the target group's IP family. A desired IP
	// target of the other family is never registered: it goes to
	// Plan.WrongFamily. AWS refuses such a target, but only for the whole
	// call, and an IPv4 address in an IPv6 group is exactly what users of
	// the AWS Load Balancer Controller reported (#4775); this is the last
	// check before the call, whatever chose the targets.
	Family corev1.IPFamily
}

// Plan is the set of changes that bring a target group to the desired state.
// All lists are sorted. Apply it through Steps, which puts deregistration
// first.
type Plan struct {
	// Deregister are targets in the group that are not desired. They carry
	// the AvailabilityZone AWS reported, so the call names exactly the
	// registered target.
	Deregister []Target
	// Register are desired targets that are not in the group, or that are
	// draining and so on their way out.
	Register []Target
	// Withheld are targets that would be deregistered but were kept because
	// Desired is empty and AllowDeregisterAll is false.
	Withheld []Target
	// WrongFamily are desired targets whose address is not of
	// PlanInput.Family; they are in no other list.
	WrongFamily []Target
}

// Empty reports whether the plan asks for no AWS call.
func (p Plan) Empty() bool { return len(p.Register) == 0 && len(p.Deregister) == 0 }

// Op is a kind of change to a target group.
type Op string

const (
	OpDeregister Op = "Deregister"
	OpRegister   Op = "Register"
)

// Step is one change to apply: an Op on some targets.
type Step struct {
	Op      Op
	Targets []Target
}

// Steps returns the plan's changes in the order they must be applied:
// deregistration first. A terminating pod has to leave the load balancer
// before anything else happens, and when a throttled or failing call stops
// the apply halfway, it is better to have removed a dying target than to
// have added a new one. Empty steps are left out.
func (p Plan) Steps() []Step {
	var s []Step
	if len(p.Deregister) > 0 {
		s = append(s, Step{Op: OpDeregister, Targets: p.Deregister})
	}
	if len(p.Register) > 0 {
		s = append(s, Step{Op: OpRegister, Targets: p.Register})
	}
	return s
}

// ComputePlan compares desired and actual targets. It is pure.
//
// A target counts as in the group when DescribeTargetHealth lists it in any
// state but draining (leaving: it takes no new connections, so a desired
// target that is draining is registered again) and unused with reason
// Target.NotRegistered (not a member at all). Unhealthy, initial, unused
// (e.g. Target.NotInUse: zone not enabled) and unavailable targets are
// members: registering them again would change nothing.
func ComputePlan(in PlanInput) Plan {
	desired := map[Key]Target{}
	var p Plan
	for _, t := range in.Desired {
		if !OfFamily(t, in.Family) {
			p.WrongFamily = append(p.WrongFamily, t)
			continue
		}
		desired[t.Key()] = t
	}
	stay := keys(in.Stay)
	var owned map[Key]bool
	if in.Owned != nil {
		owned = make(map[Key]bool, len(in.Owned))
		for t, ok := range in.Owned {
			if ok {
				owned[t.Key()] = true
			}
		}
	}

	member := map[Key]bool{}
	seen := map[Target]bool{}
	for _, h := range in.Actual {
		if !h.Registered() || h.Leaving() {
			continue
		}
		k := h.Target.Key()
		member[k] = true
		if _, ok := desired[k]; ok || stay[k] || seen[h.Target] {
			continue
		}
		seen[h.Target] = true
		if owned != nil && !owned[k] {
			continue // another cluster's target
		}
		p.Deregister = append(p.Deregister, h.Target)
	}
	for k, t := range desired {
		if !member[k] {
			p.Register = append(p.Register, t)
		}
	}
	if len(desired) == 0 && !in.AllowDeregisterAll {
		p.Withheld, p.Deregister = p.Deregister, nil
	}
	Sort(p.Register)
	Sort(p.Deregister)
	Sort(p.Withheld)
	Sort(p.WrongFamily)
	return p
}

// OfFamily reports whether t may go into a group of family: always for an
// instance target or an unset family, else when its address is of family.
func OfFamily(t Target, family corev1.IPFamily) bool {
	if family == "" || t.Instance != "" {
		return true
	}
	if family == corev1.IPv6Protocol {
		return t.IP.Is6() && !t.IP.Is4In6()
	}
	return t.IP.Unmap().Is4()
}
