package fake

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

const (
	arnWeb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	arnAPI = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210"
	arnV6  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web6/00112233aabbccdd"
)

var (
	web = elbv2.TargetGroup{ARN: arnWeb, Name: "web", TargetType: "ip", IPAddressType: "ipv4", Protocol: "HTTP", Port: 80,
		VPCID: "vpc-1", LoadBalancerARNs: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lb/1"}}
	api  = elbv2.TargetGroup{ARN: arnAPI, Name: "api", TargetType: "ip", IPAddressType: "ipv4", Protocol: "HTTP", Port: 80}
	web6 = elbv2.TargetGroup{ARN: arnV6, Name: "web6", TargetType: "ip", IPAddressType: "ipv6", Protocol: "HTTP", Port: 80}
)

// withGroups returns a fake holding web (delay 30s), api (delay 0) and web6.
func withGroups(cfg Config) *TargetGroups {
	f := New(cfg)
	f.AddGroup(web, 30*time.Second)
	f.AddGroup(api, 0)
	f.AddGroup(web6, 0)
	return f
}

// tgts parses "ip:port" targets.
func tgts(addrs ...string) []targets.Target {
	out := make([]targets.Target, 0, len(addrs))
	for _, a := range addrs {
		ap := netip.MustParseAddrPort(a)
		out = append(out, targets.Target{IP: ap.Addr(), Port: int32(ap.Port())})
	}
	return out
}

func tgt(addr string) targets.Target { return tgts(addr)[0] }

// hs builds health entries with AWS's reason for the state.
func hs(state targets.State, addrs ...string) []targets.Health {
	out := make([]targets.Health, 0, len(addrs))
	for _, t := range tgts(addrs...) {
		out = append(out, withState(targets.Health{Target: t}, state))
	}
	return out
}

func join(lists ...[]targets.Health) []targets.Health {
	out := []targets.Health{}
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func wantTargets(t *testing.T, f *TargetGroups, arn string, want []targets.Health) {
	t.Helper()
	got := f.Targets(arn)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets of %s = %+v, want %+v", arn, got, want)
	}
}

// sizes lists how many targets each recorded request of op carried.
func sizes(f *TargetGroups, op string) []int {
	var out []int
	for _, c := range f.CallsOf(op) {
		out = append(out, len(c.Targets))
	}
	return out
}
