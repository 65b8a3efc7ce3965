package scenario

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podBackedService creates a Service of n ready endpoints, each backed by
// a Pod its targetRef names, and an empty ip target group behind a
// listener. Both controllers need the Pods: the peer skips an endpoint
// without a Pod in its cache, and tgc's default target selection
// registers only addresses in a Pod's status.podIPs.
//
// The Pods run but their containers are never ready: the peer keeps a
// not-ready endpoint registered while its Pod's containers are ready
// (it counts on the node's health instead), so with ready containers a
// flip to not-ready would need a Pod write first. With containers not
// ready, a flip is one EndpointSlice write for both controllers.
func (e *env) podBackedService(ctx context.Context, ips *ipAllocator, name string, n, maxPerSlice, workers int) (*service, error) {
	s := &service{name: name}
	arn, err := e.targetGroup(ctx, name)
	if err != nil {
		return nil, err
	}
	s.group = arn
	if err := e.kube.Create(ctx, boundService(name)); err != nil {
		return nil, fmt.Errorf("creating Service %s: %w", name, err)
	}
	eps := make([]discoveryv1.Endpoint, n)
	for i := range eps {
		ip := ips.take()
		eps[i] = readyEndpoint(ip)
		eps[i].TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: name + "-" + strconv.Itoa(i)}
	}
	err = parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		return e.runningPod(ctx, eps[i].TargetRef.Name, eps[i].Addresses[0])
	})
	if err != nil {
		return nil, err
	}
	for len(eps) > 0 {
		k := min(maxPerSlice, len(eps))
		sl := s.newSlice(eps[:k])
		if err := e.kube.Create(ctx, sl); err != nil {
			return nil, fmt.Errorf("creating EndpointSlice %s: %w", sl.Name, err)
		}
		s.slices = append(s.slices, sl)
		eps = eps[k:]
	}
	return s, nil
}

// runningPod creates a Pod and writes the status a kubelet would for a
// running Pod at ip whose containers are not ready.
func (e *env) runningPod(ctx context.Context, name, ip string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"app": "bench"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/bench:1"}}},
	}
	if err := e.kube.Create(ctx, pod); err != nil {
		return fmt.Errorf("creating Pod %s: %w", name, err)
	}
	pod.Status = runningStatus(ip)
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.ContainersReady || c.Type == corev1.PodReady {
			pod.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	if err := e.kube.Status().Update(ctx, pod); err != nil {
		return fmt.Errorf("writing the status of Pod %s: %w", name, err)
	}
	return nil
}
