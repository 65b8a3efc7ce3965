package demo

import (
	"context"
	"fmt"
	"time"
)

const replicas = 3

// runBasic shows the sample app's pods becoming healthy targets and serving
// through the emulated load balancer.
func runBasic(ctx context.Context, e *env) error {
	lb, err := createLoadBalancer(ctx, e.elb)
	if err != nil {
		return err
	}
	addr, err := e.listenerAddress(lb)
	if err != nil {
		return err
	}
	e.step.Printf("Created an ALB %s with an HTTP listener on %s (the load balancer's own address) forwarding to target group\n    %s\n%s",
		lb.DNSName, addr, lb.TargetGroupARN, reachHint(lb.DNSName, addr))

	stop, err := e.startController(ctx)
	if err != nil {
		return err
	}
	defer stop()

	e.step.Printf("Deploying the sample app (examples/sample-app.yaml): %d replicas, a Service and a TargetGroupBinding", replicas)
	if err := applyManifest(ctx, e.root, e.cluster.Kubeconfig, "sample-app.yaml", map[string]string{"TARGET_GROUP_ARN": lb.TargetGroupARN}, e.out); err != nil {
		return err
	}

	e.step.Printf("Waiting for the pods to become healthy targets (DescribeTargetHealth through the SDK)")
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := waitHealthy(waitCtx, e.elb, lb.TargetGroupARN, replicas, e.out); err != nil {
		return err
	}
	e.step.Printf("Waiting for tgc to turn the pods' readiness gates True and count the healthy targets")
	if err := kubectl(ctx, e.cluster.Kubeconfig, e.out, "wait", "-n", "demo", "--timeout=60s", "--for=condition=Ready", "pod", "-l", "app=echo"); err != nil {
		return fmt.Errorf("waiting for the sample pods to become Ready: %w", err)
	}
	if err := kubectl(ctx, e.cluster.Kubeconfig, e.out, "wait", "-n", "demo", "--timeout=60s", fmt.Sprintf("--for=jsonpath={.status.targets.healthy}=%d", replicas), "targetgroupbinding/echo"); err != nil {
		return fmt.Errorf("waiting for the binding to count %d healthy targets: %w", replicas, err)
	}
	_ = kubectl(ctx, e.cluster.Kubeconfig, e.out, "get", "targetgroupbindings,pods", "-n", "demo", "-o", "wide")

	e.step.Printf("Sending requests through the load balancer at http://%s:%d/ (resolved to %s, as curl --resolve does)", lb.DNSName, lb.ListenerPort, addr)
	if err := sendRequests(ctx, lb.DNSName, addr, lb.ListenerPort, 6, e.out); err != nil {
		return err
	}
	if err := e.rollingUpdate(ctx, lb, addr); err != nil {
		return err
	}
	e.step.Printf("Demo complete: every pod is a healthy target and serves through the load balancer, and the rolling update dropped no request")
	return e.holdIfKept(ctx)
}
