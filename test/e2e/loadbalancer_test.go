package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// loadBalancer is what a user creates before binding a Service: an ALB, an ip
// target group and an HTTP listener forwarding to it. Each scenario run has
// its own, so request counts per listener belong to one run.
type loadBalancer struct {
	ARN            string
	TargetGroupARN string
	ListenerARN    string
	URL            string // the listener, on the load balancer's own loopback address
}

// groupSpec is what kind of target group a run binds.
type groupSpec struct {
	targetType types.TargetTypeEnum
	// healthCheckPort is "traffic-port" when empty, the AWS default.
	healthCheckPort string
	// ipv6 makes the group ipv6 and its load balancer dualstack, the only
	// kind AWS attaches an ipv6 group to.
	ipv6 bool
}

// ipGroup is a group of pod IPs, checked on the traffic port.
var ipGroup = groupSpec{targetType: types.TargetTypeEnumIp}

// listenerAddr is where a listener's data plane accepts: the emulator's
// ListenerAddr, since each load balancer has a loopback address of its own.
type listenerAddr func(listenerARN string) (string, error)

// createLoadBalancer creates the three resources through the real SDK.
func createLoadBalancer(ctx context.Context, c *elbv2sdk.Client, addrOf listenerAddr, name string, g groupSpec) (lb loadBalancer, retErr error) {
	ipType := types.IpAddressTypeIpv4
	if g.ipv6 {
		ipType = types.IpAddressTypeDualstack
	}
	out, err := c.CreateLoadBalancer(ctx, &elbv2sdk.CreateLoadBalancerInput{
		Name:          aws.String(name),
		Type:          types.LoadBalancerTypeEnumApplication,
		Subnets:       []string{"subnet-0a1b2c3d", "subnet-1a2b3c4d"},
		IpAddressType: ipType,
	})
	if err != nil {
		return lb, fmt.Errorf("creating load balancer %s: %w", name, err)
	}
	lb.ARN = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, lb.delete(context.WithoutCancel(ctx), c))
		}
	}()
	if lb.TargetGroupARN, err = createTargetGroup(ctx, c, name, g); err != nil {
		return lb, err
	}
	lb.ListenerARN, lb.URL, err = listen(ctx, c, addrOf, lb.ARN, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(lb.TargetGroupARN)}})
	return lb, err
}

// listen adds an HTTP listener with actions on a free port to load
// balancer lbARN, and returns it with the URL it serves.
func listen(ctx context.Context, c *elbv2sdk.Client, addrOf listenerAddr, lbARN string, actions []types.Action) (listenerARN, url string, err error) {
	port, err := process.FreePort()
	if err != nil {
		return "", "", err
	}
	l, err := c.CreateListener(ctx, &elbv2sdk.CreateListenerInput{
		LoadBalancerArn: aws.String(lbARN),
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(int32(port)),
		DefaultActions:  actions,
	})
	if err != nil {
		return "", "", fmt.Errorf("creating a listener on port %d: %w", port, err)
	}
	listenerARN = aws.ToString(l.Listeners[0].ListenerArn)
	addr, err := addrOf(listenerARN)
	if err != nil {
		return listenerARN, "", fmt.Errorf("finding the address of listener %s: %w", listenerARN, err)
	}
	return listenerARN, "http://" + addr + "/", nil
}

// createTargetGroup creates a target group of g's kind on the pods' port,
// checked on /healthz with the scenarios' scaled thresholds and
// deregistration delay.
func createTargetGroup(ctx context.Context, c *elbv2sdk.Client, name string, g groupSpec) (string, error) {
	in := &elbv2sdk.CreateTargetGroupInput{
		Name:                       aws.String(name),
		TargetType:                 g.targetType,
		Protocol:                   types.ProtocolEnumHttp,
		Port:                       aws.Int32(containerPort),
		VpcId:                      aws.String(vpcID),
		HealthCheckPath:            aws.String("/healthz"),
		HealthCheckIntervalSeconds: aws.Int32(5), // the emulator's profile scales it
		HealthCheckTimeoutSeconds:  aws.Int32(2),
		HealthyThresholdCount:      aws.Int32(healthyThreshold),
		UnhealthyThresholdCount:    aws.Int32(unhealthyThreshold),
	}
	if g.healthCheckPort != "" {
		in.HealthCheckPort = aws.String(g.healthCheckPort)
	}
	if g.ipv6 {
		in.IpAddressType = types.TargetGroupIpAddressTypeEnumIpv6
	}
	tg, err := c.CreateTargetGroup(ctx, in)
	if err != nil {
		return "", fmt.Errorf("creating target group %s: %w", name, err)
	}
	arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := c.ModifyTargetGroupAttributes(ctx, &elbv2sdk.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes: []types.TargetGroupAttribute{{
			Key:   aws.String("deregistration_delay.timeout_seconds"),
			Value: aws.String(strconv.Itoa(deregistrationDelaySeconds)),
		}},
	}); err != nil {
		return arn, fmt.Errorf("setting the deregistration delay of %s: %w", arn, err)
	}
	return arn, nil
}

// delete removes the load balancer (and with it the listener, closing its
// port) and then the target group, which AWS refuses to delete while a
// listener forwards to it.
func (lb loadBalancer) delete(ctx context.Context, c *elbv2sdk.Client) error {
	var errs []error
	if lb.ARN != "" {
		if _, err := c.DeleteLoadBalancer(ctx, &elbv2sdk.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lb.ARN)}); err != nil {
			errs = append(errs, fmt.Errorf("deleting load balancer %s: %w", lb.ARN, err))
		}
	}
	if lb.TargetGroupARN != "" {
		if _, err := c.DeleteTargetGroup(ctx, &elbv2sdk.DeleteTargetGroupInput{TargetGroupArn: aws.String(lb.TargetGroupARN)}); err != nil {
			errs = append(errs, fmt.Errorf("deleting target group %s: %w", lb.TargetGroupARN, err))
		}
	}
	return errors.Join(errs...)
}
