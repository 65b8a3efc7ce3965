package binding

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/claims"
)

// checkConflict refuses to sync a binding whose target group another
// binding came to first (claims.Conflicting), unless both are multi-cluster.
func (p *Planner) checkConflict(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string) *failure {
	var list v1alpha1.TargetGroupBindingList
	if err := p.kube.List(ctx, &list, client.MatchingFields{TargetGroupIndex: arn}); err != nil {
		return &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing TargetGroupBindings: %v", err)}
	}
	owner := claims.Conflicting(tgb, arn, list.Items)
	if owner == nil {
		return nil
	}
	return badInput(v1alpha1.ReasonTargetGroupConflict, "%s", claims.ConflictMessage(arn, owner))
}
