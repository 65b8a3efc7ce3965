package emulator

import (
	"net"
	"net/netip"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestCreateTargetGroupWithIdenticalSettingsReturnsTheExistingGroup(t *testing.T) {
	h := start(t)
	first := h.group(func(in *elbv2.CreateTargetGroupInput) { in.Name = aws.String("same") })
	second := h.group(func(in *elbv2.CreateTargetGroupInput) { in.Name = aws.String("same") })
	if *first.TargetGroupArn != *second.TargetGroupArn {
		t.Fatalf("second create returned %s, want the existing %s", *second.TargetGroupArn, *first.TargetGroupArn)
	}
}

func TestCreateTargetGroupWithDifferentSettingsFailsWithDuplicateTargetGroupName(t *testing.T) {
	h := start(t)
	h.group(func(in *elbv2.CreateTargetGroupInput) { in.Name = aws.String("dup") })
	_, err := h.c.CreateTargetGroup(h.ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String("dup"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(9090),
		VpcId: aws.String(DefaultVPC.ID), TargetType: types.TargetTypeEnumIp,
	})
	h.wantCode(err, "DuplicateTargetGroupName")
}

func TestCreateTargetGroupAppliesAWSDefaults(t *testing.T) {
	h := start(t)
	alb := h.group()
	if aws.ToInt32(alb.HealthCheckIntervalSeconds) != 30 || aws.ToInt32(alb.HealthCheckTimeoutSeconds) != 5 ||
		aws.ToInt32(alb.HealthyThresholdCount) != 5 || aws.ToInt32(alb.UnhealthyThresholdCount) != 2 ||
		aws.ToString(alb.HealthCheckPath) != "/" || aws.ToString(alb.Matcher.HttpCode) != "200" ||
		aws.ToString(alb.HealthCheckPort) != "traffic-port" || alb.IpAddressType != types.TargetGroupIpAddressTypeEnumIpv4 {
		t.Fatalf("HTTP group defaults = %+v", alb)
	}
	nlb := h.group(func(in *elbv2.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp })
	if nlb.HealthCheckProtocol != types.ProtocolEnumTcp || aws.ToInt32(nlb.HealthCheckTimeoutSeconds) != 10 {
		t.Fatalf("TCP group health check = %s timeout %d, want TCP 10", nlb.HealthCheckProtocol, aws.ToInt32(nlb.HealthCheckTimeoutSeconds))
	}
}

func TestCreateTargetGroupRejectsInvalidSettings(t *testing.T) {
	h := start(t)
	cases := map[string]func(*elbv2.CreateTargetGroupInput){
		"name with underscore":    func(in *elbv2.CreateTargetGroupInput) { in.Name = aws.String("bad_name") },
		"name over 32 characters": func(in *elbv2.CreateTargetGroupInput) { in.Name = aws.String("a123456789012345678901234567890123") },
		"unknown VPC":             func(in *elbv2.CreateTargetGroupInput) { in.VpcId = aws.String("vpc-00000000000000000") },
		"timeout not below interval": func(in *elbv2.CreateTargetGroupInput) {
			in.HealthCheckIntervalSeconds, in.HealthCheckTimeoutSeconds = aws.Int32(5), aws.Int32(5)
		},
		"healthy threshold above ten": func(in *elbv2.CreateTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(11) },
		"matcher that is not a code":  func(in *elbv2.CreateTargetGroupInput) { in.Matcher = &types.Matcher{HttpCode: aws.String("ok")} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			in := &elbv2.CreateTargetGroupInput{
				Name: aws.String("valid"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
				VpcId: aws.String(DefaultVPC.ID), TargetType: types.TargetTypeEnumIp,
			}
			mutate(in)
			_, err := h.c.CreateTargetGroup(h.ctx, in)
			h.wantCode(err, "ValidationError")
		})
	}
}

func TestDescribeTargetGroupsFindsGroupsByARNNameAndLoadBalancer(t *testing.T) {
	h := start(t)
	a, b := h.group(), h.group()
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	h.listen(lb, b)
	cases := map[string]struct {
		in   *elbv2.DescribeTargetGroupsInput
		want []string
	}{
		"by ARN":           {&elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{*a.TargetGroupArn}}, []string{*a.TargetGroupArn}},
		"by name":          {&elbv2.DescribeTargetGroupsInput{Names: []string{*b.TargetGroupName}}, []string{*b.TargetGroupArn}},
		"by load balancer": {&elbv2.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn}, []string{*b.TargetGroupArn}},
		"all":              {&elbv2.DescribeTargetGroupsInput{}, []string{*a.TargetGroupArn, *b.TargetGroupArn}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := h.c.DescribeTargetGroups(h.ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range out.TargetGroups {
				got = append(got, *g.TargetGroupArn)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	out, _ := h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{*b.TargetGroupName}})
	if len(out.TargetGroups[0].LoadBalancerArns) != 1 || out.TargetGroups[0].LoadBalancerArns[0] != *lb.LoadBalancerArn {
		t.Fatalf("LoadBalancerArns = %v, want [%s]", out.TargetGroups[0].LoadBalancerArns, *lb.LoadBalancerArn)
	}
}

func TestDescribeTargetGroupsUnknownNameIsTargetGroupNotFound(t *testing.T) {
	h := start(t)
	_, err := h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"nope"}})
	h.wantCode(err, "TargetGroupNotFound")
}

func TestDescribeTargetGroupsPagesWithMarkerAndPageSize(t *testing.T) {
	h := start(t)
	created := map[string]bool{}
	for range 7 {
		created[*h.group().TargetGroupArn] = true
	}
	seen := map[string]bool{}
	pages := 0
	p := elbv2.NewDescribeTargetGroupsPaginator(h.c, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.TargetGroups) > 3 {
			t.Fatalf("page of %d groups exceeds PageSize 3", len(out.TargetGroups))
		}
		for _, g := range out.TargetGroups {
			if seen[*g.TargetGroupArn] {
				t.Fatalf("group %s returned twice", *g.TargetGroupArn)
			}
			seen[*g.TargetGroupArn] = true
		}
	}
	if pages != 3 || len(seen) != len(created) {
		t.Fatalf("got %d groups in %d pages, want 7 in 3", len(seen), pages)
	}
}

func TestDeleteTargetGroupFailsWhileInUseAndSucceedsAfter(t *testing.T) {
	h := start(t)
	tg := h.group()
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	l, _ := h.listen(lb, tg)
	_, err := h.c.DeleteTargetGroup(h.ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	h.wantCode(err, "ResourceInUse")
	if _, err := h.c.DeleteListener(h.ctx, &elbv2.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.DeleteTargetGroup(h.ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn}); err != nil {
		t.Fatalf("deleting an unused group: %v", err)
	}
	_, err = h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{*tg.TargetGroupArn}})
	h.wantCode(err, "TargetGroupNotFound")
}

func TestModifyTargetGroupChangesHealthCheckSettings(t *testing.T) {
	h := start(t)
	tg := h.group()
	out, err := h.c.ModifyTargetGroup(h.ctx, &elbv2.ModifyTargetGroupInput{
		TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: aws.String("/healthz"),
		HealthCheckIntervalSeconds: aws.Int32(10), HealthyThresholdCount: aws.Int32(2),
		Matcher: &types.Matcher{HttpCode: aws.String("200-299")},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := out.TargetGroups[0]
	if aws.ToString(g.HealthCheckPath) != "/healthz" || aws.ToInt32(g.HealthCheckIntervalSeconds) != 10 ||
		aws.ToInt32(g.HealthyThresholdCount) != 2 || aws.ToString(g.Matcher.HttpCode) != "200-299" {
		t.Fatalf("modified group = %+v", g)
	}
}

func TestTargetGroupAttributesReadAndWriteDeregistrationDelay(t *testing.T) {
	h := start(t)
	tg := h.group()
	attrs := func() map[string]string {
		out, err := h.c.DescribeTargetGroupAttributes(h.ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, a := range out.Attributes {
			m[*a.Key] = *a.Value
		}
		return m
	}
	if got := attrs()["deregistration_delay.timeout_seconds"]; got != "300" {
		t.Fatalf("default deregistration delay = %q, want 300", got)
	}
	_, err := h.c.ModifyTargetGroupAttributes(h.ctx, &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn,
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("15")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs()["deregistration_delay.timeout_seconds"]; got != "15" {
		t.Fatalf("deregistration delay after modify = %q, want 15", got)
	}
	for name, value := range map[string]string{"above 3600": "3601", "not a number": "soon"} {
		t.Run("rejects "+name, func(t *testing.T) {
			_, err := h.c.ModifyTargetGroupAttributes(h.ctx, &elbv2.ModifyTargetGroupAttributesInput{
				TargetGroupArn: tg.TargetGroupArn,
				Attributes:     []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(value)}},
			})
			h.wantCode(err, "ValidationError")
		})
	}
	_, err = h.c.ModifyTargetGroupAttributes(h.ctx, &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn,
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String("no.such.attribute"), Value: aws.String("1")}},
	})
	h.wantCode(err, "ValidationError")
}

func TestTagsCanBeAddedDescribedAndRemoved(t *testing.T) {
	h := start(t)
	tg := h.group(func(in *elbv2.CreateTargetGroupInput) {
		in.Tags = []types.Tag{{Key: aws.String("owner"), Value: aws.String("tgc")}}
	})
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	if _, err := h.c.AddTags(h.ctx, &elbv2.AddTagsInput{
		ResourceArns: []string{*tg.TargetGroupArn, *lb.LoadBalancerArn},
		Tags:         []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.RemoveTags(h.ctx, &elbv2.RemoveTagsInput{ResourceArns: []string{*tg.TargetGroupArn}, TagKeys: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	out, err := h.c.DescribeTags(h.ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{*tg.TargetGroupArn, *lb.LoadBalancerArn}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TagDescriptions) != 2 {
		t.Fatalf("got %d tag descriptions, want 2", len(out.TagDescriptions))
	}
	for _, d := range out.TagDescriptions {
		if len(d.Tags) != 1 || *d.Tags[0].Key != "env" || *d.Tags[0].Value != "test" {
			t.Fatalf("tags of %s = %+v, want only env=test", *d.ResourceArn, d.Tags)
		}
	}
}

func TestDescribeTagsAcceptsAtMostTwentyARNs(t *testing.T) {
	h := start(t)
	tg := h.group()
	arns := make([]string, 21)
	for i := range arns {
		arns[i] = *tg.TargetGroupArn
	}
	_, err := h.c.DescribeTags(h.ctx, &elbv2.DescribeTagsInput{ResourceArns: arns})
	h.wantCode(err, "ValidationError")
	_, err = h.c.DescribeTags(h.ctx, &elbv2.DescribeTagsInput{ResourceArns: arns[:20]})
	h.wantCode(err, "")
}

func TestDescribeTagsOfUnknownResourceIsNotFound(t *testing.T) {
	h := start(t)
	_, err := h.c.DescribeTags(h.ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef"}})
	h.wantCode(err, "TargetGroupNotFound")
}

func TestLoadBalancerAndListenerLifecycle(t *testing.T) {
	h := start(t)
	tg := h.group()
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	l, addr := h.listen(lb, tg)
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || l.Port == nil || ap.Port() != uint16(*l.Port) || !DefaultLoadBalancerAddresses.Contains(ap.Addr()) {
		t.Fatalf("listener on port %v reports data plane address %q", aws.ToInt32(l.Port), addr)
	}
	lbs, err := h.c.DescribeLoadBalancers(h.ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{*lb.LoadBalancerName}})
	if err != nil || len(lbs.LoadBalancers) != 1 || lbs.LoadBalancers[0].State.Code != types.LoadBalancerStateEnumActive {
		t.Fatalf("DescribeLoadBalancers = %+v, %v", lbs, err)
	}
	ls, err := h.c.DescribeListeners(h.ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil || len(ls.Listeners) != 1 || *ls.Listeners[0].DefaultActions[0].TargetGroupArn != *tg.TargetGroupArn {
		t.Fatalf("DescribeListeners = %+v, %v", ls, err)
	}
	if _, err := h.c.DeleteLoadBalancer(h.ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}); err != nil {
		t.Fatal(err)
	}
	_, err = h.c.DescribeListeners(h.ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{*l.ListenerArn}})
	h.wantCode(err, "ListenerNotFound")
	_, err = h.c.DescribeLoadBalancers(h.ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{*lb.LoadBalancerArn}})
	h.wantCode(err, "LoadBalancerNotFound")
	// Deleting a load balancer that is already gone succeeds.
	_, err = h.c.DeleteLoadBalancer(h.ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	h.wantCode(err, "")
	_, err = h.c.DeleteListener(h.ctx, &elbv2.DeleteListenerInput{ListenerArn: l.ListenerArn})
	h.wantCode(err, "ListenerNotFound")
}

func TestCreateListenerOnTakenPortFailsWithValidationError(t *testing.T) {
	h := start(t)
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	// Another process listens on the load balancer's address.
	a, _ := h.emu.Resolve(*lb.DNSName)
	ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	_, err = h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancerArn,
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(int32(taken)),
		DefaultActions:  []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: h.group().TargetGroupArn}},
	})
	h.wantCode(err, "ValidationError")
}

func TestCreateListenerForUnknownTargetGroupIsTargetGroupNotFound(t *testing.T) {
	h := start(t)
	_, err := h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: h.loadBalancer(types.LoadBalancerTypeEnumApplication).LoadBalancerArn,
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(int32(freePort(t))),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward,
			TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef")}},
	})
	h.wantCode(err, "TargetGroupNotFound")
}
