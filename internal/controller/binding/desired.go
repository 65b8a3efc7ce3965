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
	// service is the Service as read; nil when it does not exist.
	service *corev1.Service
	// serviceGone: the Service does not exist and the policy allows
	// deregistering everything.
	serviceGone bool
	// family is the target group's IP family, which the plan enforces.
	family corev1.IPFamily
}

// desired reads the Service and its EndpointSlices from the informer cache
// and computes the targets.
func (p *Planner) desired(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, family corev1.IPFamily) (endpoints, *failure) {
	svcKey := types.NamespacedName{Namespace: tgb.Namespace, Name: tgb.Spec.ServiceRef.Name}
	svc := &corev1.Service{}
	if err := p.kube.Get(ctx, svcKey, svc); err != nil {
		if !apierrors.IsNotFound(err) {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("reading Service %s: %v", svcKey, err)}
		}
		svc = nil
	}
	var slices discoveryv1.EndpointSliceList
	if svc != nil {
		if err := p.kube.List(ctx, &slices, client.InNamespace(tgb.Namespace), client.MatchingFields{SliceServiceIndex: svc.Name}); err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing EndpointSlices of %s: %v", svcKey, err)}
		}
	}
	instance := tgb.Spec.TargetType == v1alpha1.TargetTypeInstance
	var nodes *targets.NodeInput
	if instance && svc != nil {
		n, fail := p.nodeInput(ctx, tgb)
		if fail != nil {
			return endpoints{}, fail
		}
		nodes = n
	}
	var gated map[types.UID]bool
	// Readiness gates are for ip targets: a node's health says nothing
	// about one pod, so an instance binding registers no pod for its gate.
	if p.cfg.Gates != nil && svc != nil && !instance {
		g, err := p.cfg.Gates.GatedPods(ctx, tgb)
		if err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing gated pods of %s: %v", svcKey, err)}
		}
		gated = g
	}
	anyEndpoint := tgb.Spec.TargetSelection == v1alpha1.TargetSelectionAnyEndpoint
	// Nodes of a Cluster Service are targets whatever its endpoints, so
	// their pods need no reading.
	endpointsMatter := !instance || (svc != nil && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal)
	var pods map[string]*corev1.Pod
	if !anyEndpoint && svc != nil && endpointsMatter {
		p, err := p.podsOf(ctx, tgb.Namespace, slices.Items)
		if err != nil {
			return endpoints{}, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("reading the pods of %s: %v", svcKey, err)}
		}
		pods = p
	}
	result, err := targets.Desired(targets.DesiredInput{
		Slices:      slices.Items,
		Port:        tgb.Spec.ServiceRef.Port,
		Service:     svc,
		IPFamily:    family,
		GatedPods:   gated,
		AnyEndpoint: anyEndpoint,
		Pods:        pods,
		Nodes:       nodes,
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
		fix := "fix spec.serviceRef or the Service"
		if p.Reason == targets.ReasonNoNodePort {
			fix = "give the Service a nodePort (spec.type NodePort or LoadBalancer), or bind it with targetType ip"
		}
		f.message = fmt.Sprintf("%s; %s (registered targets are left as they are)", f.message, fix)
		return endpoints{}, f
	}
	for _, w := range result.Warnings {
		log.FromContext(ctx).Info("targets left out", "reason", w.Reason, "message", w.Message)
	}
	return endpoints{result: result, trigger: newestTrigger(slices.Items), service: svc}, nil
}

// podsOf reads from the informer cache the pods of namespace ns that the
// slices' endpoints name, one Get each: a Service's pods are a small part of
// a namespace's, so this beats listing them all. A pod not in the cache is
// left out, and targets.Desired skips its endpoint.
func (p *Planner) podsOf(ctx context.Context, ns string, slices []discoveryv1.EndpointSlice) (map[string]*corev1.Pod, error) {
	pods := map[string]*corev1.Pod{}
	for i := range slices {
		for _, ep := range slices[i].Endpoints {
			ref := ep.TargetRef
			if ref == nil || (ref.Kind != "" && ref.Kind != "Pod") || (ref.Namespace != "" && ref.Namespace != ns) {
				continue
			}
			if _, done := pods[ref.Name]; done || ref.Name == "" {
				continue
			}
			pod := &corev1.Pod{}
			err := p.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, pod)
			switch {
			case apierrors.IsNotFound(err):
				pods[ref.Name] = nil // looked up once; Desired reads nil as not found
			case err != nil:
				return nil, fmt.Errorf("getting pod %s/%s: %w", ns, ref.Name, err)
			default:
				pods[ref.Name] = pod
			}
		}
	}
	return pods, nil
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
