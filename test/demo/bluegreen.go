package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

const (
	blueGreenReplicas = 2
	// requestsPerStep is how many requests each weight setting gets.
	requestsPerStep = 20
)

// blueGreenSteps are the listener's weights, blue then green, from all blue
// to all green in five moves.
var blueGreenSteps = [][2]int32{{100, 0}, {80, 20}, {60, 40}, {40, 60}, {20, 80}, {0, 100}}

// runBlueGreen deploys a blue and a green version of the sample app, each
// bound to its own target group behind one ALB listener, and moves the
// listener's weights from blue to green while showing who answers.
func runBlueGreen(ctx context.Context, e *env) error {
	lbARN, dnsName, err := createALB(ctx, e.elb, "demo-bluegreen")
	if err != nil {
		return err
	}
	blue, err := createTargetGroup(ctx, e.elb, "demo-blue")
	if err != nil {
		return err
	}
	green, err := createTargetGroup(ctx, e.elb, "demo-green")
	if err != nil {
		return err
	}
	lb := loadBalancer{DNSName: dnsName}
	first := blueGreenSteps[0]
	if lb.ListenerARN, lb.ListenerPort, err = createListener(ctx, e.elb, lbARN, weightedForward(blue, green, first[0], first[1])); err != nil {
		return err
	}
	addr, err := e.listenerAddress(lb)
	if err != nil {
		return err
	}
	e.step.Printf("Created an ALB %s with an HTTP listener on %s forwarding by weight %d/%d to target groups\n    blue  %s\n    green %s\n%s",
		dnsName, addr, first[0], first[1], blue, green, reachHint(dnsName, addr))

	stop, err := e.startController(ctx)
	if err != nil {
		return err
	}
	defer stop()

	e.step.Printf("Deploying blue and green (examples/bluegreen.yaml): %d replicas each, a Service and a TargetGroupBinding each", blueGreenReplicas)
	if err := applyManifest(ctx, e.root, e.cluster.Kubeconfig, "bluegreen.yaml", map[string]string{"BLUE_TARGET_GROUP_ARN": blue, "GREEN_TARGET_GROUP_ARN": green}, e.out); err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for _, g := range []struct{ name, arn string }{{"blue", blue}, {"green", green}} {
		e.step.Printf("Waiting for %s's pods to become healthy targets of its group", g.name)
		if err := waitHealthy(waitCtx, e.elb, g.arn, blueGreenReplicas, e.out); err != nil {
			return err
		}
	}
	e.step.Printf("Waiting for tgc to turn every pod's readiness gate True")
	if err := kubectl(ctx, e.cluster.Kubeconfig, e.out, "wait", "-n", "bluegreen", "--timeout=60s", "--for=condition=Ready", "pod", "-l", "app=echo"); err != nil {
		return fmt.Errorf("waiting for the blue and green pods to become Ready: %w", err)
	}
	_ = kubectl(ctx, e.cluster.Kubeconfig, e.out, "get", "targetgroupbindings,pods", "-n", "bluegreen", "-o", "wide")

	url := fmt.Sprintf("http://%s:%d/", dnsName, lb.ListenerPort)
	client := resolvingClient(addr)
	e.step.Printf("Moving the traffic from blue to green: ModifyListener, then %d requests to %s at each step", requestsPerStep, url)
	for i, w := range blueGreenSteps {
		if i > 0 {
			if _, err := e.elb.ModifyListener(ctx, &elbv2sdk.ModifyListenerInput{ListenerArn: aws.String(lb.ListenerARN), DefaultActions: weightedForward(blue, green, w[0], w[1])}); err != nil {
				return fmt.Errorf("setting weights %d/%d: %w", w[0], w[1], err)
			}
		}
		got, err := tally(ctx, client, url, requestsPerStep)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "    weights %3d/%-3d -> blue %2d, green %2d %s\n", w[0], w[1], got["blue"], got["green"], bar(got["blue"], got["green"]))
	}
	counts := e.emu.RequestCounts()
	l := counts.Listeners[lb.ListenerARN]
	e.step.Printf("The emulator counted %d requests on the listener (%d failed), %d to blue's group and %d to green's",
		l.Total(), l.Total()-l.Success, counts.TargetGroups[blue].Total(), counts.TargetGroups[green].Total())
	e.step.Printf("Demo complete: green serves everything; blue can be scaled down or deleted")
	return e.holdIfKept(ctx)
}

// tally sends n requests and counts which version answered each, from the
// pod name in the sample app's answer.
func tally(ctx context.Context, client *http.Client, url string, n int) (map[string]int, error) {
	got := map[string]int{}
	for i := range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("request %d through the load balancer: %w", i+1, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("request %d through the load balancer: %s: %s", i+1, resp.Status, body)
		}
		switch {
		case strings.Contains(string(body), "echo-blue"):
			got["blue"]++
		case strings.Contains(string(body), "echo-green"):
			got["green"]++
		default:
			got["other"]++
		}
	}
	return got, nil
}

// bar draws the split, one character a request: B for blue, G for green.
func bar(blue, green int) string {
	return strings.Repeat("B", blue) + strings.Repeat("G", green)
}
