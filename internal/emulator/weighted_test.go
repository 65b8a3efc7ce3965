package emulator

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// weighted is a forward action over groups with weights.
func weighted(groups []types.TargetGroup, weights ...int32) []types.Action {
	var tuples []types.TargetGroupTuple
	for i, g := range groups {
		tuples = append(tuples, types.TargetGroupTuple{TargetGroupArn: g.TargetGroupArn, Weight: aws.Int32(weights[i])})
	}
	return []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: tuples}}}
}

// weightedSetup is one ALB listener forwarding to one group per weight,
// each group with one healthy backend.
type weightedSetup struct {
	listener types.Listener
	addr     string
	groups   []types.TargetGroup
	backends []*backend
}

func (h *harness) weightedListener(subnet int, weights ...int32) weightedSetup {
	h.t.Helper()
	var s weightedSetup
	for i := range weights {
		s.groups = append(s.groups, h.group())
		s.backends = append(s.backends, newBackend(h.t, fmt.Sprintf("127.244.%d.%d", subnet, i+1)))
	}
	out, err := h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: h.loadBalancer(types.LoadBalancerTypeEnumApplication).LoadBalancerArn,
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(int32(freePort(h.t))),
		DefaultActions:  weighted(s.groups, weights...),
	})
	if err != nil {
		h.t.Fatalf("CreateListener with weights %v: %v", weights, err)
	}
	s.listener = out.Listeners[0]
	if s.addr, err = h.emu.ListenerAddr(*s.listener.ListenerArn); err != nil {
		h.t.Fatal(err)
	}
	for i, g := range s.groups {
		h.register(g, s.backends[i].target())
		h.waitState(g, s.backends[i].key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	}
	return s
}

func (h *harness) setWeights(s weightedSetup, weights ...int32) {
	h.t.Helper()
	if _, err := h.c.ModifyListener(h.ctx, &elbv2.ModifyListenerInput{ListenerArn: s.listener.ListenerArn, DefaultActions: weighted(s.groups, weights...)}); err != nil {
		h.t.Fatalf("ModifyListener to weights %v: %v", weights, err)
	}
}

func slowArrived(b *backend) bool { return b.slowStarted.Load() > 0 }

func hits(bs []*backend) []int64 {
	out := make([]int64, len(bs))
	for i, b := range bs {
		out[i] = b.hits.Load()
	}
	return out
}

func TestWeightsSplitTrafficWithinTwoPercent(t *testing.T) {
	h := start(t, withPodDialMap)
	weights := []int32{50, 30, 20, 0}
	s := h.weightedListener(50, weights...)
	const n = 300
	for range n {
		if status, _ := get(t, s.addr, "/work"); status != http.StatusOK {
			t.Fatalf("status %d through the weighted listener", status)
		}
	}
	// Tolerance: each group's share within 2 percentage points of its
	// weight's share; the emulator's smooth weighted round robin is exact
	// over every window of sum(weights) = 100 requests.
	got := hits(s.backends)
	for i, w := range weights {
		share, want := float64(got[i])/n, float64(w)/100
		if math.Abs(share-want) > 0.02 {
			t.Fatalf("group %d (weight %d) got %d of %d requests (%.1f%%), want %.0f%% ± 2", i, w, got[i], n, 100*share, 100*want)
		}
	}
	if got[3] != 0 {
		t.Fatalf("the weight-0 group got %d requests, want none", got[3])
	}
	counts := h.emu.RequestCounts()
	if c := counts.Listeners[*s.listener.ListenerArn]; c.Success != n {
		t.Fatalf("listener counts %+v, want %d successes", c, n)
	}
	for i, g := range s.groups {
		if gc, tc := counts.TargetGroups[*g.TargetGroupArn].Success, counts.Targets[s.backends[i].key()].Success; gc != uint64(got[i]) || tc != uint64(got[i]) {
			t.Fatalf("group %d: group count %d, target count %d, backend saw %d", i, gc, tc, got[i])
		}
	}
	ls, err := h.c.DescribeListeners(h.ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{*s.listener.ListenerArn}})
	if err != nil {
		t.Fatal(err)
	}
	a := ls.Listeners[0].DefaultActions[0]
	if a.TargetGroupArn != nil || len(a.ForwardConfig.TargetGroups) != 4 || aws.ToInt32(a.ForwardConfig.TargetGroups[1].Weight) != 30 {
		t.Fatalf("DescribeListeners action = %+v, want a ForwardConfig of the four weighted groups and no TargetGroupArn", a)
	}
}

func TestModifyListenerMovesTrafficWithoutDroppingRequestsInFlight(t *testing.T) {
	h := start(t, withPodDialMap)
	s := h.weightedListener(51, 100, 0)
	blue, green := s.backends[0], s.backends[1]

	// A slow request starts on blue, and the weights move while it runs.
	var wg sync.WaitGroup
	var slowStatus int
	var slowBody string
	wg.Add(1)
	go func() {
		defer wg.Done()
		slowStatus, slowBody = get(t, s.addr, "/slow")
	}()
	deadline := time.Now().Add(2 * time.Second)
	for !slowArrived(blue) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !slowArrived(blue) {
		t.Fatal("the slow request never reached blue")
	}
	h.setWeights(s, 0, 100)
	if blue.hits.Load() != 0 {
		t.Fatal("the slow request finished before the weights moved; the test proves nothing")
	}
	for range 20 {
		if status, body := get(t, s.addr, "/work"); status != http.StatusOK || body != green.addr.String() {
			t.Fatalf("after the move a request answered %d from %q, want 200 from green %s", status, body, green.addr)
		}
	}
	wg.Wait()
	if slowStatus != http.StatusOK || slowBody != blue.addr.String() {
		t.Fatalf("the request in flight during ModifyListener answered %d from %q, want 200 from blue", slowStatus, slowBody)
	}
	if b, g := blue.hits.Load(), green.hits.Load(); b != 1 || g != 20 {
		t.Fatalf("blue/green hits = %d/%d, want 1/20", b, g)
	}

	// Half-way weights split again, and both groups stay in use.
	h.setWeights(s, 1, 1)
	for range 10 {
		get(t, s.addr, "/work")
	}
	if b, g := blue.hits.Load(), green.hits.Load(); b != 6 || g != 25 {
		t.Fatalf("blue/green hits after 1/1 = %d/%d, want 6/25", b, g)
	}
}

func TestModifyListenerUsesNewGroupsAndReleasesDroppedOnes(t *testing.T) {
	h := start(t, withPodDialMap)
	s := h.weightedListener(52, 1)
	next := h.group()
	b := newBackend(t, "127.244.52.9")
	h.register(next, b.target())
	if th := h.health(next)[b.key()]; th.State != types.TargetHealthStateEnumUnused {
		t.Fatalf("a group no listener forwards to: %s, want unused", th.State)
	}
	if _, err := h.c.ModifyListener(h.ctx, &elbv2.ModifyListenerInput{
		ListenerArn:    s.listener.ListenerArn,
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: next.TargetGroupArn}},
	}); err != nil {
		t.Fatal(err)
	}
	h.waitState(next, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	if th := h.health(s.groups[0])[s.backends[0].key()]; th.State != types.TargetHealthStateEnumUnused {
		t.Fatalf("the dropped group's target is %s, want unused", th.State)
	}
	if status, body := get(t, s.addr, "/work"); status != http.StatusOK || body != b.addr.String() {
		t.Fatalf("request answered %d from %q, want the new group's target", status, body)
	}
}

func TestForwardConfigsAWSRefuses(t *testing.T) {
	h := start(t)
	six := []types.TargetGroup{h.group(), h.group(), h.group(), h.group(), h.group(), h.group()}
	tcp := func(in *elbv2.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp }
	nlbGroups := []types.TargetGroup{h.group(tcp), h.group(tcp)}
	alb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	nlb := h.loadBalancer(types.LoadBalancerTypeEnumNetwork)
	cases := map[string]struct {
		lb      types.LoadBalancer
		actions []types.Action
		message string
	}{
		"six target groups": {alb, weighted(six, 1, 1, 1, 1, 1, 1), "more than 5 target groups"},
		"weight 1000":       {alb, weighted(six[:2], 1000, 1), "between 0 and 999, inclusive"},
		"negative weight":   {alb, weighted(six[:2], -1, 1), "between 0 and 999, inclusive"},
		"two groups without weights": {alb, []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: six[0].TargetGroupArn}, {TargetGroupArn: six[1].TargetGroupArn}}}}}, "must specify a weight"},
		"TargetGroupArn other than the ForwardConfig's": {alb, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: six[0].TargetGroupArn,
			ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: six[1].TargetGroupArn}}}}}, "must be the same target group"},
		"the same group twice":                 {alb, weighted([]types.TargetGroup{six[0], six[0]}, 1, 1), "more than once"},
		"an NLB forwarding to weighted groups": {nlb, weighted(nlbGroups, 50, 50), "multiple target groups in a single action with a load balancer of type 'network'"},
		"an NLB given a weight":                {nlb, weighted(nlbGroups[:1], 1), "target group weight on load balancers of type 'network'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			protocol := types.ProtocolEnumHttp
			if tc.lb.Type == types.LoadBalancerTypeEnumNetwork {
				protocol = types.ProtocolEnumTcp
			}
			_, err := h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
				LoadBalancerArn: tc.lb.LoadBalancerArn, Protocol: protocol, Port: aws.Int32(int32(freePort(t))), DefaultActions: tc.actions,
			})
			h.wantCode(err, "ValidationError")
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("CreateListener error %q, want it to say %q", err, tc.message)
			}
		})
	}
	if n := len(h.emu.Listeners()); n != 0 {
		t.Fatalf("%d listeners exist after refused calls", n)
	}

	// ModifyListener checks the same way and leaves the listener as it was.
	l, _ := h.listen(alb, six[0])
	_, err := h.c.ModifyListener(h.ctx, &elbv2.ModifyListenerInput{ListenerArn: l.ListenerArn, DefaultActions: weighted(six, 1, 1, 1, 1, 1, 1)})
	h.wantCode(err, "ValidationError")
	_, err = h.c.ModifyListener(h.ctx, &elbv2.ModifyListenerInput{ListenerArn: l.ListenerArn, DefaultActions: weighted(six[:2], 1000, 0)})
	h.wantCode(err, "ValidationError")
	if info := h.emu.Listeners()[0]; len(info.TargetGroups) != 1 || info.TargetGroups[0].ARN != *six[0].TargetGroupArn {
		t.Fatalf("after refused ModifyListener calls the listener forwards to %+v", info.TargetGroups)
	}
}

func TestNLBListenerDescribesItsGroupWithoutAWeight(t *testing.T) {
	h := start(t)
	tg := h.group(func(in *elbv2.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp })
	l, _ := h.listen(h.loadBalancer(types.LoadBalancerTypeEnumNetwork), tg)
	a := l.DefaultActions[0]
	if aws.ToString(a.TargetGroupArn) != *tg.TargetGroupArn || len(a.ForwardConfig.TargetGroups) != 1 || a.ForwardConfig.TargetGroups[0].Weight != nil {
		t.Fatalf("NLB listener action = %+v, want its one group with no weight", a)
	}
}
