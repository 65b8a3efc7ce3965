package binding

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

func TestClassifyAWS(t *testing.T) {
	api := func(kind error, code string) error {
		return fmt.Errorf("wrapped: %w", &elbv2.APIError{Op: "RegisterTargets", Code: code, Message: "m", Kind: kind})
	}
	cases := map[string]struct {
		err      error
		reason   string
		badInput bool
	}{
		"missing group waits for the user":          {err: api(elbv2.ErrTargetGroupNotFound, "TargetGroupNotFound"), reason: v1alpha1.ReasonTargetGroupNotFound, badInput: true},
		"missing permission waits for the user":     {err: api(elbv2.ErrAccessDenied, "AccessDenied"), reason: v1alpha1.ReasonAccessDenied, badInput: true},
		"throttling is retried with backoff":        {err: api(elbv2.ErrThrottled, "Throttling"), reason: v1alpha1.ReasonThrottled},
		"quota is the user's to raise":              {err: api(elbv2.ErrTooManyTargets, "TooManyTargets"), reason: v1alpha1.ReasonTooManyTargets, badInput: true},
		"unknown AWS error is retried with backoff": {err: errors.New("connection reset"), reason: v1alpha1.ReasonAWSError},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := classifyAWS(tc.err, "arn")
			if f.reason != tc.reason || f.badInput != tc.badInput {
				t.Fatalf("classifyAWS = %s badInput=%v, want %s badInput=%v", f.reason, f.badInput, tc.reason, tc.badInput)
			}
			if !errors.Is(f, tc.err) && f.err != tc.err {
				t.Fatalf("failure does not wrap the AWS error")
			}
		})
	}
}

func TestIPFamily(t *testing.T) {
	cases := map[string]struct {
		spec   v1alpha1.IPAddressType
		group  string
		want   corev1.IPFamily
		reason string
	}{
		"empty spec follows an ipv4 group":      {group: "ipv4", want: corev1.IPv4Protocol},
		"empty spec follows an ipv6 group":      {group: "ipv6", want: corev1.IPv6Protocol},
		"group without type reads as ipv4":      {want: corev1.IPv4Protocol},
		"matching spec is accepted":             {spec: "ipv6", group: "ipv6", want: corev1.IPv6Protocol},
		"spec contradicting group is refused":   {spec: "ipv6", group: "ipv4", reason: v1alpha1.ReasonIPFamilyMismatch},
		"ipv4 spec on an ipv6 group is refused": {spec: "ipv4", group: "ipv6", reason: v1alpha1.ReasonIPFamilyMismatch},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tgb := &v1alpha1.TargetGroupBinding{Spec: v1alpha1.TargetGroupBindingSpec{IPAddressType: tc.spec}}
			got, f := ipFamily(tgb, elbv2.TargetGroup{ARN: "arn", IPAddressType: tc.group})
			if tc.reason != "" {
				if f == nil || f.reason != tc.reason {
					t.Fatalf("ipFamily = %v, %v; want failure %s", got, f, tc.reason)
				}
				return
			}
			if f != nil || got != tc.want {
				t.Fatalf("ipFamily = %v, %v; want %v", got, f, tc.want)
			}
		})
	}
}

func target(s string) targets.Target {
	ap := netip.MustParseAddrPort(s)
	return targets.Target{IP: ap.Addr(), Port: int32(ap.Port())}
}

func TestCountTargets(t *testing.T) {
	health := []targets.Health{
		{Target: target("10.0.0.1:80"), State: targets.StateHealthy},
		{Target: target("10.0.0.2:80"), State: targets.StateInitial},
		{Target: target("10.0.0.3:80"), State: targets.StateUnhealthy},
		{Target: target("10.0.0.4:80"), State: targets.StateDraining},
		{Target: target("10.0.0.5:80"), State: targets.StateUnused, Reason: "Target.NotInUse"},
		{Target: target("10.0.0.6:80"), State: targets.StateUnused, Reason: "Target.NotRegistered"},
		{Target: target("10.9.9.9:80"), State: targets.StateHealthy}, // another cluster's
	}
	desired := []targets.Target{target("10.0.0.1:80"), target("10.0.0.2:80"), target("10.0.0.3:80"), target("10.0.0.5:80")}
	cases := map[string]struct {
		multi bool
		owned []string
		want  v1alpha1.TargetCounts
	}{
		"whole group counts when tgc owns it": {
			want: v1alpha1.TargetCounts{Desired: 4, Registered: 5, Healthy: 2, Initial: 1, Unhealthy: 1, Draining: 1, Unavailable: 1},
		},
		"multi-cluster counts only desired and owned targets": {
			multi: true, owned: []string{"10.0.0.4:80"},
			want: v1alpha1.TargetCounts{Desired: 4, Registered: 4, Healthy: 1, Initial: 1, Unhealthy: 1, Draining: 1, Unavailable: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := countTargets(health, desired, tc.owned, tc.multi); got != tc.want {
				t.Fatalf("countTargets = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOwnedTargetsRoundTripThroughStatus(t *testing.T) {
	in := map[targets.Target]bool{target("10.0.0.2:80"): true, target("[2001:db8::1]:8080"): true, target("10.0.0.1:80"): true}
	strs := formatOwned(in)
	if fmt.Sprint(strs) != "[10.0.0.1:80 10.0.0.2:80 [2001:db8::1]:8080]" {
		t.Fatalf("formatOwned = %v, want sorted ip:port strings", strs)
	}
	tgb := &v1alpha1.TargetGroupBinding{Spec: v1alpha1.TargetGroupBindingSpec{MultiClusterTargetGroup: true}, Status: v1alpha1.TargetGroupBindingStatus{OwnedTargets: strs}}
	out := ownedTargets(tgb)
	if len(out) != len(in) {
		t.Fatalf("ownedTargets = %v, want %v", out, in)
	}
	for tg := range in {
		if !out[tg] {
			t.Fatalf("ownedTargets lost %s", tg)
		}
	}
}

func TestOwnedTargetsAreNilOutsideMultiClusterAndEmptyNotNilInside(t *testing.T) {
	if got := ownedTargets(&v1alpha1.TargetGroupBinding{}); got != nil {
		t.Fatalf("single-owner binding owned = %v, want nil (owns the whole group)", got)
	}
	got := ownedTargets(&v1alpha1.TargetGroupBinding{Spec: v1alpha1.TargetGroupBindingSpec{MultiClusterTargetGroup: true}})
	if got == nil || len(got) != 0 {
		t.Fatalf("multi-cluster binding with no record owned = %v, want an empty non-nil map (may remove nothing)", got)
	}
}

func TestJitterStaysWithinTenPercent(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		got := jitter(time.Minute, r)
		if got < time.Minute || got > time.Minute+6*time.Second {
			t.Fatalf("jitter(1m, %v) = %s, want within [1m, 1m6s]", r, got)
		}
	}
}
