package binding

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// ReasonWrongIPFamily is the Warning Event of a sync whose plan refused
// targets of the other IP family than the group's. targets.Desired reads
// only EndpointSlices of the group's family, so this means a slice carried
// addresses its addressType does not name, or a bug: either way the targets
// stay out of the group, and the Event says which.
const ReasonWrongIPFamily = "WrongIPFamily"

// reportWrongFamily logs and announces the targets the plan kept out of
// the group for their family.
func (c *Controller) reportWrongFamily(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, family corev1.IPFamily, wrong []targets.Target) {
	if len(wrong) == 0 {
		return
	}
	log.FromContext(ctx).Info("targets of the wrong IP family left out", "targetGroup", arn, "family", family, "count", len(wrong), "first", wrong[0].String())
	c.event(tgb, true, ReasonWrongIPFamily, "RegisterTargets",
		"%d targets left out of %s, which takes %s addresses only (first: %s); check the Service's EndpointSlices and spec.ipAddressType",
		len(wrong), arn, family, wrong[0].String())
}
