package scenario

import (
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestDescribeBeforeWrite(t *testing.T) {
	call := func(action string) emulator.Call { return emulator.Call{Action: action} }
	cases := map[string]struct {
		window []emulator.Call
		want   bool
	}{
		"a write first, a health read after it":   {[]emulator.Call{call("DeregisterTargets"), call("DescribeTargetHealth")}, false},
		"a read the write waited for":             {[]emulator.Call{call("DescribeTargetHealth"), call("DeregisterTargets")}, true},
		"reads without a write are no read-first": {[]emulator.Call{call("DescribeTargetHealth")}, false},
		"no calls": {nil, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := describeBeforeWrite(tc.window); got != tc.want {
				t.Errorf("describeBeforeWrite = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSideOfSummarizesOneControllersOperation(t *testing.T) {
	sample := func(controller, op string, reactionMs, mutating, describe int, before bool) opSample {
		o := opSample{Controller: controller, Op: op, reaction: time.Duration(reactionMs) * time.Millisecond, endToEnd: time.Duration(reactionMs+5) * time.Millisecond,
			Calls: measure.CallCounts{Total: mutating + describe, Mutating: mutating, Describe: describe}, DescribeBefore: before}
		o.ReactionMs, o.EndToEndMs = msPtr(o.reaction), msPtr(o.endToEnd)
		return o
	}
	samples := []opSample{
		sample("tgc", opFlip, 10, 1, 0, false),
		sample("tgc", opFlip, 20, 1, 1, false),
		sample("peer", opFlip, 40, 1, 1, true),
		sample("tgc", opBulk, 99, 2, 0, false),
	}
	s := sideOf(samples, "tgc", opFlip)
	if s.Ops != 2 || s.OneWrite != 2 || s.DescribeBefore != 0 || s.CallsPerOp != 1.5 || s.MutatingPerOp != 1 || s.DescribePerOp != 0.5 {
		t.Errorf("side = %+v", s)
	}
	if s.Reaction.N != 2 || s.Reaction.MinMs != 10 || s.Reaction.MaxMs != 20 || s.EndToEnd.P50Ms != 15 {
		t.Errorf("latencies = %+v / %+v", s.Reaction, s.EndToEnd)
	}
	if p := sideOf(samples, "peer", opFlip); p.DescribeBefore != 1 || p.Ops != 1 {
		t.Errorf("peer side = %+v", p)
	}
	unshown := opSample{Controller: "tgc", Op: opCreate20}
	if s := sideOf([]opSample{unshown}, "tgc", opCreate20); s.Missed != 1 || s.EndToEnd.N != 0 {
		t.Errorf("an operation that never showed: %+v", s)
	}
}

func TestPeerArgsTurnOffWhatABindingOnlyRunDoesNotNeed(t *testing.T) {
	args := peerArgs("/kc", "http://127.0.0.1:1", "/certs", 1, 2, 3)
	for _, want := range []string{
		"--feature-gates=EnableServiceController=false,ALBGatewayAPI=false,NLBGatewayAPI=false",
		"--enable-waf=false", "--enable-wafv2=false", "--enable-shield=false",
		"--aws-vpc-id=" + defaultVPC,
		"--aws-api-endpoints=EC2=http://127.0.0.1:1,Elastic Load Balancing v2=http://127.0.0.1:1,STS=http://127.0.0.1:1",
		"--enable-leader-election=false",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("peer args lack %s: %v", want, args)
		}
	}
	if got := redactPorts(args); slices.Contains(got, "--webhook-cert-dir=/certs") {
		t.Errorf("redactPorts kept a per-run path: %v", got)
	}
}
