package emulator

import (
	"slices"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// A listener's forward action sends each new request to one of up to five
// target groups, in proportion to their weights, as ALB's weighted target
// groups do
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions).
// Network load balancers forward to a single group and take no weight.

const (
	// maxForwardGroups is ALB's quota "Target Groups per Action per
	// Application Load Balancer", which cannot be raised
	// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
	maxForwardGroups = 5
	// maxWeight is TargetGroupTuple.Weight's documented range, 0 to 999.
	maxWeight = 999
	// maxStickinessSeconds is TargetGroupStickinessConfig's range, 1 s to 7 days.
	maxStickinessSeconds = 604800
)

// weightedGroup is one target group of a forward action.
type weightedGroup struct {
	arn    string
	weight int32
}

// forward is a listener's forward default action.
type forward struct {
	groups []weightedGroup
	// weighted is whether the caller gave weights; an NLB takes none.
	weighted bool
	// stickiness is stored and echoed; the data plane does not honour it.
	stickyEnabled  bool
	stickySeconds  int32
	stickinessSent bool
	// wrr is the smooth weighted round robin's running credit per group:
	// each window of sum(weights) requests splits exactly by weight, so the
	// split a test measures does not depend on chance. It restarts when
	// the weights change.
	wrr []int64
}

func (f *forward) arns() []string {
	out := make([]string, len(f.groups))
	for i, g := range f.groups {
		out[i] = g.arn
	}
	return out
}

func (f *forward) has(arn string) bool {
	return slices.ContainsFunc(f.groups, func(g weightedGroup) bool { return g.arn == arn })
}

// next picks the group for a new request: the one with the most credit
// after every group earns its weight, which then pays the total. ok is
// false when every weight is 0, so no group may receive a request.
func (f *forward) next() (string, bool) {
	if len(f.wrr) != len(f.groups) {
		f.wrr = make([]int64, len(f.groups))
	}
	var total int64
	best := -1
	for i, g := range f.groups {
		if g.weight <= 0 {
			continue
		}
		f.wrr[i] += int64(g.weight)
		total += int64(g.weight)
		if best < 0 || f.wrr[i] > f.wrr[best] {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	f.wrr[best] -= total
	return f.groups[best].arn, true
}

// parseForward reads the single forward default action the emulator
// supports, given as TargetGroupArn, as a ForwardConfig, or as both naming
// the same one group, and checks what AWS checks before it looks anything
// up. The messages are AWS's where a user has quoted them: the weight range
// (aws/aws-cdk#24805) and the network load balancer cases (forwardFor).
func parseForward(p query.Params) (*forward, *query.Error) {
	actions := p.Structs("DefaultActions")
	if len(actions) != 1 || actions[0].String("Type") != "forward" {
		return nil, errValidation("The emulator supports exactly one default action of type 'forward'")
	}
	a := actions[0]
	arn := a.String("TargetGroupArn")
	tuples := a.Structs("ForwardConfig.TargetGroups")
	f := &forward{}
	if len(tuples) == 0 {
		if arn == "" {
			return nil, errValidation("A forward action must specify a target group ARN or a forward config with target groups")
		}
		f.groups = []weightedGroup{{arn: arn, weight: 1}}
		return f, nil
	}
	if len(tuples) > maxForwardGroups {
		return nil, errValidation("You cannot specify more than %d target groups in a single forward action", maxForwardGroups)
	}
	if arn != "" && (len(tuples) != 1 || tuples[0].String("TargetGroupArn") != arn) {
		return nil, errValidation("If you specify both ForwardConfig and TargetGroupArn, you can specify only one target group using ForwardConfig and it must be the same target group specified in TargetGroupArn")
	}
	for _, t := range tuples {
		g := weightedGroup{arn: t.String("TargetGroupArn"), weight: 1}
		if g.arn == "" {
			return nil, errValidation("Each target group of a forward config must specify a target group ARN")
		}
		if f.has(g.arn) {
			return nil, errValidation("The target group '%s' is specified more than once in the forward action", g.arn)
		}
		w, given, err := t.Int("Weight")
		if err != nil {
			return nil, paramError(err)
		}
		if given {
			if w < 0 || w > maxWeight {
				return nil, errValidation("The weight for each target group must be between 0 and %d, inclusive", maxWeight)
			}
			g.weight = int32(w)
			f.weighted = true
		} else if len(tuples) > 1 {
			return nil, errValidation("If you specify multiple target groups for a forward action, you must specify a weight for each target group")
		}
		f.groups = append(f.groups, g)
	}
	if qe := parseStickiness(a, f); qe != nil {
		return nil, qe
	}
	return f, nil
}

func parseStickiness(a query.Params, f *forward) *query.Error {
	const key = "ForwardConfig.TargetGroupStickinessConfig."
	enabled, given, err := a.Bool(key + "Enabled")
	if err != nil {
		return paramError(err)
	}
	secs, secsGiven, err := a.Int(key + "DurationSeconds")
	if err != nil {
		return paramError(err)
	}
	if secsGiven && (secs < 1 || secs > maxStickinessSeconds) {
		return errValidation("The target group stickiness duration must be between 1 and %d seconds", maxStickinessSeconds)
	}
	if enabled && !secsGiven {
		return errValidation("A stickiness duration must be specified when target group stickiness is enabled")
	}
	f.stickinessSent = given || secsGiven
	f.stickyEnabled, f.stickySeconds = enabled, int32(secs)
	return nil
}

// forwardFor checks a parsed forward action against the load balancer it
// is for: a network load balancer forwards to one group and takes no
// weight, and AWS answers both mistakes with a ValidationError
// (aws-cloudformation/cloudformation-coverage-roadmap#385,
// crossplane-contrib/provider-upjet-aws#1771).
func forwardFor(lb *loadBalancer, f *forward) *query.Error {
	if lb.lbType != lbTypeNetwork {
		return nil
	}
	if len(f.groups) > 1 {
		return errValidation("You cannot specify multiple target groups in a single action with a load balancer of type 'network'")
	}
	if f.weighted {
		return errValidation("You cannot specify a target group weight on load balancers of type 'network'")
	}
	return nil
}
