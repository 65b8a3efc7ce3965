package scenario

import (
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/peer"
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

func TestRedactPortsKeepsWhatMattersOfThePeersFlags(t *testing.T) {
	args := peer.Args(peer.Options{Kubeconfig: "/kc", EmulatorURL: "http://127.0.0.1:1", VPC: defaultVPC}, "/certs", 1, 2, 3)
	got := redactPorts(args)
	if slices.Contains(got, "--webhook-cert-dir=/certs") || slices.Contains(got, "--kubeconfig=/kc") {
		t.Errorf("redactPorts kept a per-run path: %v", got)
	}
	if !slices.Contains(got, "--enable-shield=false") || !slices.Contains(got, "--aws-vpc-id="+defaultVPC) {
		t.Errorf("redactPorts dropped a flag that matters: %v", got)
	}
}
