// Package claims holds the rules for which binding may claim a target group,
// as far as they can be decided from the bindings themselves, without AWS:
// the shape of a target group ARN and who holds a group first. The binding
// controller applies them at every sync and the admission webhook at create
// and update, so both decide the same way.
package claims

import (
	"fmt"
	"regexp"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// targetGroupARN matches the documented ELBv2 target group ARN:
// arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>.
// The id is hex; its length is not fixed here so that ARNs from other ELBv2
// implementations (emulators, LocalStack) pass.
var targetGroupARN = regexp.MustCompile(`^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):targetgroup/([A-Za-z0-9-]{1,32})/[0-9a-f]+$`)

// ARN is what a target group ARN says about its group.
type ARN struct {
	Partition string
	Region    string
	Account   string
	Name      string
}

// ParseARN checks a target group ARN's shape before any AWS call, so the
// user gets a precise message instead of AWS's generic ValidationError.
func ParseARN(arn string) (ARN, error) {
	m := targetGroupARN.FindStringSubmatch(arn)
	if m == nil {
		return ARN{}, fmt.Errorf("%q is not a target group ARN; expected arn:aws:elasticloadbalancing:<region>:<account-id>:targetgroup/<name>/<id>", arn)
	}
	return ARN{Partition: m[1], Region: m[2], Account: m[3], Name: m[4]}, nil
}

// ValidateARN is ParseARN for callers that need only the verdict.
func ValidateARN(arn string) error {
	_, err := ParseARN(arn)
	return err
}

// BoundARN is the target group a binding syncs, as far as the cache knows:
// the resolved ARN once a sync has written it, else the one in the spec.
func BoundARN(b *v1alpha1.TargetGroupBinding) string {
	if b.Status.TargetGroupARN != "" {
		return b.Status.TargetGroupARN
	}
	return b.Spec.TargetGroupARN
}

// older orders bindings by age, then by name, so every replica and every
// reconcile picks the same one.
func older(a, b *v1alpha1.TargetGroupBinding) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// Conflicting returns the binding that holds arn instead of self, if self
// may not share it. Two bindings that each think they own a whole target
// group deregister each other's targets on every sync, so the target group
// flaps; sharing is safe only when both record what they registered
// (multiClusterTargetGroup).
//
// The group belongs to the binding that held it first: the one whose status
// already names it, which tgc writes only after the binding won the group.
// Age decides only between bindings that both hold it, or neither does (two
// claims in the same moment), so that an old binding turned onto a live
// group never takes it.
func Conflicting(self *v1alpha1.TargetGroupBinding, arn string, all []v1alpha1.TargetGroupBinding) *v1alpha1.TargetGroupBinding {
	selfHolds := self.Status.TargetGroupARN == arn
	var owner *v1alpha1.TargetGroupBinding
	for i := range all {
		b := &all[i]
		if isSelf(b, self) || !b.DeletionTimestamp.IsZero() || BoundARN(b) != arn {
			continue
		}
		if self.Spec.MultiClusterTargetGroup && b.Spec.MultiClusterTargetGroup {
			continue
		}
		if !first(b, self, arn, selfHolds) {
			continue
		}
		if owner == nil || first(b, owner, arn, owner.Status.TargetGroupARN == arn) {
			owner = b
		}
	}
	return owner
}

// isSelf matches by UID, and by name for a binding the API server has not
// given a UID yet (a mutating admission request sees none).
func isSelf(b, self *v1alpha1.TargetGroupBinding) bool {
	if self.UID != "" {
		return b.UID == self.UID
	}
	return b.Namespace == self.Namespace && b.Name == self.Name
}

// first reports whether b came to the group before other: by holding it,
// else by age.
func first(b, other *v1alpha1.TargetGroupBinding, arn string, otherHolds bool) bool {
	if holds := b.Status.TargetGroupARN == arn; holds != otherHolds {
		return holds
	}
	return older(b, other)
}

// ConflictMessage says who holds the group and how to fix the claim.
func ConflictMessage(arn string, owner *v1alpha1.TargetGroupBinding) string {
	return fmt.Sprintf("target group %s is already bound by %s/%s; two bindings may share a target group only when both set multiClusterTargetGroup: true (otherwise each removes the other's targets). Point this binding at another target group, or set multiClusterTargetGroup on both",
		arn, owner.Namespace, owner.Name)
}

// ARNByName finds the one target group named name that other bindings
// already claim, as far as their ARNs say, among the groups accept allows
// (tgc's region and account, when known). A binding by name is resolved
// only at sync, through AWS; this lets admission see a name binding onto a
// group another binding holds by ARN. ok is false when no binding claims
// such a group, or more than one group of that name appears (several
// regions or accounts), which only AWS can settle.
func ARNByName(name string, others []v1alpha1.TargetGroupBinding, accept func(ARN) bool) (arn string, ok bool) {
	for i := range others {
		candidate := BoundARN(&others[i])
		a, err := ParseARN(candidate)
		if err != nil || a.Name != name || !accept(a) {
			continue
		}
		if arn != "" && arn != candidate {
			return "", false
		}
		arn = candidate
	}
	return arn, arn != ""
}
