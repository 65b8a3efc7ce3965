package kubectltgc

import (
	"context"
	"fmt"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
)

// preview runs the controller's Planner on one binding. A failed read is
// bad input for the command (exit 2); a binding that cannot be planned is
// a preview with its reason.
func preview(ctx context.Context, planner *binding.Planner, tgb *v1alpha1.TargetGroupBinding) (binding.Preview, error) {
	p, err := planner.Preview(ctx, tgb)
	if err != nil {
		return p, &exitCode{exitError, fmt.Errorf("working out the plan of %s/%s: %w", tgb.Namespace, tgb.Name, err)}
	}
	if p.Reason == v1alpha1.ReasonTargetGroupNotFound && tgb.Status.TargetGroupARN != "" {
		// The controller found the group; kubectl tgc looks in the account
		// and region of the user's credentials, which may be others.
		p.Message += fmt.Sprintf(" (kubectl tgc looked with your AWS credentials; the controller resolved the group to %s: check AWS_REGION or --region, and the account)", tgb.Status.TargetGroupARN)
	}
	return p, nil
}
