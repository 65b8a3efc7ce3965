package targets

import (
	"fmt"
	"reflect"
	"testing"
)

// ten are the targets 10.244.0.1:8080 to 10.244.0.n:8080.
func first(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.244.0.%d:8080", i+1)
	}
	return out
}

func evidence(e Evidence, ss ...string) map[Key]Evidence {
	m := map[Key]Evidence{}
	for _, s := range ss {
		m[tgt(s).Key()] = e
	}
	return m
}

func TestBrake(t *testing.T) {
	limits := BrakeLimits{MaxFraction: 0.5, MaxTargets: 10}
	four := first(4)
	hundred := first(100)
	cases := map[string]struct {
		in   BrakeInput
		want BrakeResult
	}{
		"nothing to remove releases nothing": {
			in:   BrakeInput{Health: healthy(four...), Limits: limits},
			want: BrakeResult{Healthy: 4},
		},
		"one unexplained removal of four is below half and goes": {
			in:   BrakeInput{Deregister: tgts(four[3]), Health: healthy(four...), Limits: limits},
			want: BrakeResult{Release: tgts(four[3]), Healthy: 4},
		},
		"half the group unexplained is not more than half and goes": {
			in:   BrakeInput{Deregister: tgts(four[2:]...), Health: healthy(four...), Limits: limits},
			want: BrakeResult{Release: tgts(four[2:]...), Healthy: 4},
		},
		"three unexplained removals of four are held": {
			in:   BrakeInput{Deregister: tgts(four[1:]...), Health: healthy(four...), Limits: limits},
			want: BrakeResult{Held: tgts(four[1:]...), Healthy: 4},
		},
		"a lost slice of 100 in a group of 250 is held by the count though below half": {
			in:   BrakeInput{Deregister: tgts(hundred...), Health: healthy(first(250)...), Limits: limits},
			want: BrakeResult{Held: tgts(hundred...), Healthy: 250},
		},
		"ten unexplained removals of 100 are not more than ten and go": {
			in:   BrakeInput{Deregister: tgts(hundred[:10]...), Health: healthy(hundred...), Limits: limits},
			want: BrakeResult{Release: tgts(hundred[:10]...), Healthy: 100},
		},
		"terminating and not ready endpoints explain their removal": {
			in: BrakeInput{Deregister: tgts(four[1:]...), Health: healthy(four...), Limits: limits,
				Evidence: merge(evidence(EvidenceEndpointTerminating, four[1]), evidence(EvidenceEndpointNotReady, four[2], four[3]))},
			want: BrakeResult{Release: tgts(four[1:]...), Healthy: 4},
		},
		"pods leaving or deleted explain their removal": {
			in: BrakeInput{Deregister: tgts(four[1:]...), Health: healthy(four...), Limits: limits,
				Evidence: merge(evidence(EvidencePodLeaving, four[1], four[2]), evidence(EvidencePodDeleted, four[3]))},
			want: BrakeResult{Release: tgts(four[1:]...), Healthy: 4},
		},
		"a deliberate edit explains every removal": {
			in:   BrakeInput{Deregister: tgts(four...), Health: healthy(four...), Limits: limits, Edited: true},
			want: BrakeResult{Release: tgts(four...), Healthy: 4},
		},
		"targets AWS reports unhealthy are not protected": {
			in: BrakeInput{Deregister: tgts(four[2:]...), Limits: limits, Health: append(healthy(four[0], four[1]),
				health(four[2], StateUnhealthy, "Target.FailedHealthChecks"), health(four[3], StateUnused, "Target.NotInUse"))},
			want: BrakeResult{Release: tgts(four[2:]...), Healthy: 2},
		},
		"a target still registering is protected like a healthy one": {
			in: BrakeInput{Deregister: tgts(four[1:]...), Limits: limits, Health: append(healthy(four[0], four[1]),
				health(four[2], StateInitial, "Elb.RegistrationInProgress"), health(four[3], StateInitial, "Elb.RegistrationInProgress"))},
			want: BrakeResult{Held: tgts(four[1:]...), Healthy: 4},
		},
		"only the unexplained removals are held, the explained ones go": {
			in: BrakeInput{Deregister: tgts(hundred[:20]...), Health: healthy(hundred...), Limits: limits,
				Evidence: evidence(EvidenceEndpointTerminating, hundred[:5]...)},
			want: BrakeResult{Release: tgts(hundred[:5]...), Held: tgts(hundred[5:20]...), Healthy: 100},
		},
		"a confirmation of exactly the held count releases the hold": {
			in:   BrakeInput{Deregister: tgts(four[1:]...), Health: healthy(four...), Limits: limits, Confirmed: 3},
			want: BrakeResult{Release: tgts(four[1:]...), Healthy: 4, Confirmed: true},
		},
		"a confirmation of another count releases nothing": {
			in:   BrakeInput{Deregister: tgts(four[1:]...), Health: healthy(four...), Limits: limits, Confirmed: 2},
			want: BrakeResult{Held: tgts(four[1:]...), Healthy: 4},
		},
		"the fraction counts only the healthy targets the binding owns": {
			in: BrakeInput{Deregister: tgts(four[:2]...), Health: healthy(first(8)...), Limits: limits,
				Owned: owned(four...)},
			want: BrakeResult{Release: tgts(four[:2]...), Healthy: 4},
		},
		"of a shared group, most of the owned targets unexplained are held": {
			in: BrakeInput{Deregister: tgts(four[:3]...), Health: healthy(first(8)...), Limits: limits,
				Owned: owned(four...)},
			want: BrakeResult{Held: tgts(four[:3]...), Healthy: 4},
		},
		"draining targets neither count as healthy nor are protected": {
			in: BrakeInput{Deregister: tgts(four[1]), Limits: limits,
				Health: append(healthy(four[0], four[1]), health(four[2], StateDraining, ""), health(four[3], StateDraining, ""))},
			want: BrakeResult{Release: tgts(four[1]), Healthy: 2},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Brake(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Brake =\n  %+v\nwant\n  %+v", got, tc.want)
			}
		})
	}
}

func TestEndpointEvidence(t *testing.T) {
	r := DesiredResult{Terminating: tgts("10.244.0.1:8080"), NotReady: tgts("10.244.0.2:8080"), Targets: tgts("10.244.0.3:8080")}
	got := EndpointEvidence(r)
	want := merge(evidence(EvidenceEndpointTerminating, "10.244.0.1:8080"), evidence(EvidenceEndpointNotReady, "10.244.0.2:8080"))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EndpointEvidence = %v, want %v", got, want)
	}
}

func merge(ms ...map[Key]Evidence) map[Key]Evidence {
	out := map[Key]Evidence{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
