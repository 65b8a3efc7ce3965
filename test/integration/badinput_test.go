package integration

import (
	"testing"
	"time"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// Each bad input gets Ready=False with a reason and a message saying what to
// fix, and a Warning Event; a good binding in the same namespace, synced by
// the same controller, keeps working throughout.
func TestBadInputIsReportedWhileOtherBindingsKeepSyncing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.selectorlessService("good", 80)
	e.slice("good", "good-1", 8080, "10.244.210.1")
	goodARN := e.targetGroup()
	e.binding("good", "good", intstr.FromInt32(80), goodARN)

	e.selectorlessService("svc", 80)
	e.slice("svc", "svc-1", 8080, "10.244.211.1")

	missingARN := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/does-not-exist/0123456789abcdef"
	ipv6ARN := e.targetGroup(func(in *elb.CreateTargetGroupInput) {
		in.IpAddressType = elbtypes.TargetGroupIpAddressTypeEnumIpv6
	})
	deniedARN := e.targetGroup()
	shared.proxy.Deny(deniedARN, "DescribeTargetHealth", "RegisterTargets", "DeregisterTargets")

	e.selectorlessService("mixed", 80)
	// 203.0.113.7 is public (TEST-NET-3): AWS refuses it as an ip target.
	// Nothing dials it: it is never registered.
	e.slice("mixed", "mixed-1", 8080, "10.244.212.1", "203.0.113.7")
	rejectARN := e.targetGroup()

	cases := map[string]struct {
		service string
		port    intstr.IntOrString
		arn     string
		reason  string
	}{
		"malformed ARN":                         {service: "svc", port: intstr.FromInt32(80), arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1", reason: v1alpha1.ReasonInvalidARN},
		"target group that does not exist":      {service: "svc", port: intstr.FromInt32(80), arn: missingARN, reason: v1alpha1.ReasonTargetGroupNotFound},
		"Service that does not exist":           {service: "nope", port: intstr.FromInt32(80), arn: e.targetGroup(), reason: v1alpha1.ReasonServiceNotFound},
		"port the Service does not have":        {service: "svc", port: intstr.FromString("grpc"), arn: e.targetGroup(), reason: v1alpha1.ReasonPortNotFound},
		"ipv6 target group for an ipv4 Service": {service: "svc", port: intstr.FromInt32(80), arn: ipv6ARN, reason: v1alpha1.ReasonIPFamilyMismatch},
		"target AWS rejects":                    {service: "mixed", port: intstr.FromInt32(80), arn: rejectARN, reason: v1alpha1.ReasonTargetRejected},
		"missing IAM permissions":               {service: "svc", port: intstr.FromInt32(80), arn: deniedARN, reason: v1alpha1.ReasonAccessDenied},
	}
	names := map[string]string{}
	for name, tc := range cases {
		n := uniq("bad")
		names[name] = n
		e.binding(n, tc.service, tc.port, tc.arn)
	}
	ctl := e.startController(e.controllerOptions())

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tgb := e.waitReady(names[name], metav1.ConditionFalse, tc.reason, 20*time.Second)
			c := readyMessage(tgb)
			if c == "" {
				t.Errorf("Ready=False/%s has no message", tc.reason)
			}
			e.waitEvent(names[name], corev1.EventTypeWarning, tc.reason, 10*time.Second)
			t.Logf("message: %s", c)
		})
	}
	e.waitMembers(goodARN, func() []string { return []string{"10.244.210.1:8080"} }, 10*time.Second)
	e.waitReady("good", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	// The rejected target is left out; the valid one is registered.
	e.waitMembers(rejectARN, func() []string { return []string{"10.244.212.1:8080"} }, 10*time.Second)

	// Bad input is retried on the slow interval, not in a hot loop: over 3 s
	// (bad-input retry 2 s) the denied group sees a handful of calls.
	start := time.Now()
	time.Sleep(3 * time.Second)
	var denied int
	if v, err := metricValue(ctl.registry, "tgc_aws_api_calls_total", map[string]string{"operation": "DescribeTargetHealth", "result": "error"}); err == nil {
		denied = int(v)
	}
	if denied > 10 {
		t.Errorf("%d failed DescribeTargetHealth calls since start (%s ago), want a slow retry", denied, time.Since(start))
	}

	// Fixing the input heals the binding: allow the calls again.
	shared.proxy.Allow(deniedARN)
	e.waitReady(names["missing IAM permissions"], metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.waitMembers(deniedARN, func() []string { return []string{"10.244.211.1:8080"} }, 10*time.Second)
}

func readyMessage(tgb *v1alpha1.TargetGroupBinding) string {
	for _, c := range tgb.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			return c.Message
		}
	}
	return ""
}
