package emulator

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestTargetStatesReadsTheGroupWithoutAnAPICall(t *testing.T) {
	h := start(t)
	tg := h.group()
	arn := aws.ToString(tg.TargetGroupArn)
	if _, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn,
		Targets: []types.TargetDescription{ipTarget("10.244.0.1", 8080), ipTarget("10.244.0.2", 8080)}}); err != nil {
		t.Fatal(err)
	}
	calls := len(h.emu.Calls())
	states, ok := h.emu.TargetStates(arn)
	if !ok {
		t.Fatalf("TargetStates(%s) found no group", arn)
	}
	if len(states) != 2 || states[0].Target != "10.244.0.1:8080" || states[1].Target != "10.244.0.2:8080" || states[0].State == "" {
		t.Fatalf("TargetStates = %+v, want both registered targets with a state", states)
	}
	if n := len(h.emu.Calls()); n != calls {
		t.Errorf("TargetStates added %d calls to the call log, want none", n-calls)
	}
	if _, ok := h.emu.TargetStates(arn + "-missing"); ok {
		t.Error("TargetStates of an unknown group reported it found")
	}
}

func TestCallLogNamesTheAccessKeyEachCallWasSignedWith(t *testing.T) {
	h := start(t)
	h.group()
	calls := h.emu.Calls()
	last := calls[len(calls)-1]
	if last.AccessKeyID != "AKID" {
		t.Errorf("call %s logged access key %q, want the client's AKID", last.Action, last.AccessKeyID)
	}
}
