package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// world is what the cluster and the target group look like at one moment.
type world struct {
	deployment appsv1.Deployment
	// readyIPs are the IPs of pods that are Ready and not terminating.
	readyIPs []string
	// expected are the IDs the group should hold, healthy: readyIPs for ip
	// targets, the instances of the nodes that serve for instance targets.
	expected []string
	// pods counts every pod of the app, terminating ones included.
	pods int
	// targets are "id:port state" as DescribeTargetHealth reports them.
	targets []string
	// healthyIDs are the IDs of healthy targets on the targets' port.
	healthyIDs []string
}

// targeting is what a run's targets are, to tell what its group should
// hold.
type targeting struct {
	// instance is nil for ip targets: the ready pods on containerPort.
	instance *instanceMode
	// nodePort is the Service's, where instance targets are registered.
	nodePort int32
	// ipv6: the targets are the pods' IPv6 addresses.
	ipv6 bool
}

// ipTargets are pods on containerPort.
var ipTargets = targeting{}

func (tg targeting) port() int32 {
	if tg.instance != nil {
		return tg.nodePort
	}
	return containerPort
}

func (w world) String() string {
	d := w.deployment.Status
	return fmt.Sprintf("deployment gen %d/%d replicas=%d updated=%d available=%d; pods=%d ready=%v; expected targets %v; targets=%v",
		d.ObservedGeneration, w.deployment.Generation, d.Replicas, d.UpdatedReplicas, d.AvailableReplicas,
		w.pods, w.readyIPs, w.expected, w.targets)
}

// settled reports whether the rollout is over with want replicas, every old
// pod is gone, and the target group holds exactly the ready pods, all
// healthy, with nothing left draining.
func (w world) settled(want int32) bool {
	d := w.deployment
	return d.Status.ObservedGeneration >= d.Generation &&
		d.Status.Replicas == want && d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want &&
		w.pods == int(want) && len(w.readyIPs) == int(want) &&
		w.targetsMatchExpected()
}

// targetsMatchExpected is every scenario's pass condition on the final
// state: the registered targets are exactly the ready pods (ip), or the
// nodes that serve them (instance), and all are healthy.
func (w world) targetsMatchExpected() bool {
	return len(w.targets) == len(w.healthyIDs) && slices.Equal(w.healthyIDs, w.expected)
}

func observe(ctx context.Context, kube client.Client, elb *elbv2sdk.Client, namespace, targetGroupARN string, tg targeting) (world, error) {
	var w world
	if err := kube.Get(ctx, client.ObjectKey{Namespace: namespace, Name: appName}, &w.deployment); err != nil {
		return w, fmt.Errorf("reading deployment %s/%s: %w", namespace, appName, err)
	}
	var pods corev1.PodList
	if err := kube.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabels{"app": appName}); err != nil {
		return w, fmt.Errorf("listing pods in %s: %w", namespace, err)
	}
	w.pods = len(pods.Items)
	for i := range pods.Items {
		p := &pods.Items[i]
		if ip := tg.podIP(p); p.DeletionTimestamp == nil && podReady(p) && ip != "" {
			w.readyIPs = append(w.readyIPs, ip)
		}
	}
	slices.Sort(w.readyIPs)
	w.expected = w.readyIPs
	if tg.instance != nil {
		var err error
		if w.expected, err = servingNodes(ctx, kube, pods.Items, tg.instance.policy); err != nil {
			return w, err
		}
	}
	h, err := elb.DescribeTargetHealth(ctx, &elbv2sdk.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return w, fmt.Errorf("describing target health of %s: %w", targetGroupARN, err)
	}
	for _, d := range h.TargetHealthDescriptions {
		id, port := aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
		w.targets = append(w.targets, fmt.Sprintf("%s:%d %s", id, port, d.TargetHealth.State))
		if d.TargetHealth.State == types.TargetHealthStateEnumHealthy && port == tg.port() {
			w.healthyIDs = append(w.healthyIDs, id)
		}
	}
	slices.Sort(w.targets)
	slices.Sort(w.healthyIDs)
	return w, nil
}

// waitSettled polls until the world has settled with want replicas.
func waitSettled(ctx context.Context, kube client.Client, elb *elbv2sdk.Client, namespace, targetGroupARN string, tg targeting, want int32, timeout time.Duration) (world, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last world
	var lastErr error
	for {
		w, err := observe(ctx, kube, elb, namespace, targetGroupARN, tg)
		if err == nil && w.settled(want) {
			return w, nil
		}
		if err == nil {
			last = w
		}
		lastErr = err
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("not settled with %d replicas after %s: %s", want, timeout, last)
			if lastErr != nil {
				msg += "; last error: " + lastErr.Error()
			}
			return last, fmt.Errorf("%s", strings.TrimSpace(msg))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
