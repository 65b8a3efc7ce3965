package demo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

const (
	demoRegion = "us-east-1"
	// demoAccessKey signs the demo's own calls, so the rollout report can
	// leave them out of the controller's.
	demoAccessKey = "AKIDDEMO"
	demoVPC       = "vpc-0a1b2c3d4e5f60718"
)

// loadBalancer is what the demo creates on the emulator, the way a user
// creates it on AWS before installing tgc.
type loadBalancer struct {
	TargetGroupARN string
	ListenerARN    string
	ListenerPort   int32
	// DNSName has AWS's shape and resolves nowhere; the demo reaches it
	// the way curl --resolve does, at the load balancer's own address.
	DNSName string
}

func newELBv2Client(endpoint string) *elbv2sdk.Client {
	return elbv2sdk.New(elbv2sdk.Options{
		Region:       demoRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(demoAccessKey, "demo-secret", ""),
	})
}

// createLoadBalancer makes an ALB, an ip target group and an HTTP listener
// forwarding to it, through the real SDK.
func createLoadBalancer(ctx context.Context, c *elbv2sdk.Client) (loadBalancer, error) {
	lbARN, dnsName, err := createALB(ctx, c, "demo-alb")
	if err != nil {
		return loadBalancer{}, err
	}
	tgARN, err := createTargetGroup(ctx, c, "demo-echo")
	if err != nil {
		return loadBalancer{}, err
	}
	lb := loadBalancer{TargetGroupARN: tgARN, DNSName: dnsName}
	lb.ListenerARN, lb.ListenerPort, err = createListener(ctx, c, lbARN,
		[]types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}})
	return lb, err
}

func createALB(ctx context.Context, c *elbv2sdk.Client, name string) (arn, dnsName string, err error) {
	lb, err := c.CreateLoadBalancer(ctx, &elbv2sdk.CreateLoadBalancerInput{
		Name:    aws.String(name),
		Type:    types.LoadBalancerTypeEnumApplication,
		Subnets: []string{"subnet-0a1b2c3d", "subnet-1a2b3c4d"},
	})
	if err != nil {
		return "", "", fmt.Errorf("creating load balancer %s: %w", name, err)
	}
	return aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), aws.ToString(lb.LoadBalancers[0].DNSName), nil
}

// createTargetGroup makes an ip target group checked on /healthz, with a
// deregistration delay short enough to watch.
func createTargetGroup(ctx context.Context, c *elbv2sdk.Client, name string) (string, error) {
	tg, err := c.CreateTargetGroup(ctx, &elbv2sdk.CreateTargetGroupInput{
		Name:                       aws.String(name),
		TargetType:                 types.TargetTypeEnumIp,
		Protocol:                   types.ProtocolEnumHttp,
		Port:                       aws.Int32(8080),
		VpcId:                      aws.String(demoVPC),
		HealthCheckPath:            aws.String("/healthz"),
		HealthCheckIntervalSeconds: aws.Int32(5),
		HealthCheckTimeoutSeconds:  aws.Int32(2),
		HealthyThresholdCount:      aws.Int32(2),
	})
	if err != nil {
		return "", fmt.Errorf("creating target group %s: %w", name, err)
	}
	tgARN := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := c.ModifyTargetGroupAttributes(ctx, &elbv2sdk.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(tgARN),
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}},
	}); err != nil {
		return "", fmt.Errorf("setting deregistration delay on %s: %w", tgARN, err)
	}
	return tgARN, nil
}

// createListener opens an HTTP listener with actions on a free port.
func createListener(ctx context.Context, c *elbv2sdk.Client, lbARN string, actions []types.Action) (string, int32, error) {
	p, err := process.FreePort()
	if err != nil {
		return "", 0, err
	}
	port := int32(p)
	l, err := c.CreateListener(ctx, &elbv2sdk.CreateListenerInput{
		LoadBalancerArn: aws.String(lbARN),
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(port),
		DefaultActions:  actions,
	})
	if err != nil {
		return "", 0, fmt.Errorf("creating listener on port %d: %w", port, err)
	}
	return aws.ToString(l.Listeners[0].ListenerArn), port, nil
}

// weightedForward forwards to blue and green by weight, the listener
// setting a blue/green rollout moves.
func weightedForward(blueARN, greenARN string, blue, green int32) []types.Action {
	return []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{
		{TargetGroupArn: aws.String(blueARN), Weight: aws.Int32(blue)},
		{TargetGroupArn: aws.String(greenARN), Weight: aws.Int32(green)},
	}}}}
}
