package binding

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// endpoints is the desired side of a binding.
type endpoints struct {
	result  targets.DesiredResult
	trigger time.Time // newest last-change-trigger-time of the slices
	// serviceGone: the Service does not exist and the policy allows
	// deregistering everything.
	serviceGone bool
}

// desired reads the Service and its EndpointSlices from the informer cache
// and computes the targets.
func (c *Controller) desired(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, family corev1.IPFamily) (endpoints, *failure) {
	svcKey := types.NamespacedName{Namespace: tgb.Namespace, Name: tgb.Spec.ServiceRef.Name}
	svc := &corev1.Service{}
	if err := c.kube.Get(ctx, svcKey, svc); err != nil {
		if !apierrors.IsNotFound(err) {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("reading Service %s: %v", svcKey, err)}
		}
		svc = nil
	}
	var slices discoveryv1.EndpointSliceList
	if svc != nil {
		if err := c.kube.List(ctx, &slices, client.InNamespace(tgb.Namespace), client.MatchingFields{SliceServiceIndex: svc.Name}); err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing EndpointSlices of %s: %v", svcKey, err)}
		}
	}
	var gated map[types.UID]bool
	if c.cfg.Gates != nil && svc != nil {
		g, err := c.cfg.Gates.GatedPods(ctx, tgb)
		if err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing gated pods of %s: %v", svcKey, err)}
		}
		gated = g
	}
	result, err := targets.Desired(targets.DesiredInput{
		Slices:    slices.Items,
		Port:      tgb.Spec.ServiceRef.Port,
		Service:   svc,
		IPFamily:  family,
		GatedPods: gated,
	})
	if err != nil {
		var p *targets.Problem
		if !errors.As(err, &p) {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: err.Error()}
		}
		f := fromProblem(p)
		if p.Reason == targets.ReasonServiceNotFound {
			f.message = fmt.Sprintf("Service %s does not exist", svcKey)
		}
		// A missing Service is an empty desired set when the policy says
		// so; every other problem leaves the target group alone.
		if p.Reason == targets.ReasonServiceNotFound && tgb.Spec.EmptyEndpointsPolicy == v1alpha1.EmptyEndpointsPolicyDeregister {
			return endpoints{serviceGone: true}, nil
		}
		f.message = fmt.Sprintf("%s; fix spec.serviceRef or the Service (registered targets are left as they are)", f.message)
		return endpoints{}, f
	}
	for _, w := range result.Warnings {
		log.FromContext(ctx).Info("endpoints left out", "reason", w.Reason, "message", w.Message)
	}
	return endpoints{result: result, trigger: newestTrigger(slices.Items)}, nil
}

// newestTrigger is the newest endpoints.kubernetes.io/last-change-trigger-time
// of the slices: when the pod change that the slices reflect happened.
func newestTrigger(slices []discoveryv1.EndpointSlice) time.Time {
	var newest time.Time
	for _, s := range slices {
		v, ok := s.Annotations[corev1.EndpointsLastChangeTriggerTime]
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err == nil && t.After(newest) {
			newest = t
		}
	}
	return newest
}
