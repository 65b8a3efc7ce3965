package binding

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
)

func tenancyPolicy(name, team string, m v1alpha1.TargetGroupMatch) *v1alpha1.TargetGroupPolicy {
	return &v1alpha1.TargetGroupPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.TargetGroupPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": team}},
			TargetGroups:      []v1alpha1.TargetGroupMatch{m},
		},
	}
}

func TestSyncFollowsTheTenancyPolicies(t *testing.T) {
	cases := map[string]struct {
		policies  []*v1alpha1.TargetGroupPolicy
		tags      map[string]string
		opts      []tgbOption
		wantReady string
	}{
		"a binding of non-pod endpoints needs a policy that allows them": {
			policies:  []*v1alpha1.TargetGroupPolicy{tenancyPolicy("shop", "shop", v1alpha1.TargetGroupMatch{NamePattern: "a"})},
			opts:      []tgbOption{anyEndpoint},
			wantReady: "False/" + v1alpha1.ReasonNotAllowed,
		},
		"with no policies every namespace binds every group, as before": {
			wantReady: "True/Synced",
		},
		"a policy for the namespace and group allows the binding": {
			policies:  []*v1alpha1.TargetGroupPolicy{tenancyPolicy("shop", "shop", v1alpha1.TargetGroupMatch{NamePattern: "a"})},
			wantReady: "True/Synced",
		},
		"once a policy exists, a group it does not match is refused": {
			policies:  []*v1alpha1.TargetGroupPolicy{tenancyPolicy("shop", "shop", v1alpha1.TargetGroupMatch{NamePattern: "b"})},
			wantReady: "False/" + v1alpha1.ReasonNotAllowed,
		},
		"a policy for other namespaces refuses this one": {
			policies:  []*v1alpha1.TargetGroupPolicy{tenancyPolicy("billing", "billing", v1alpha1.TargetGroupMatch{ARN: arnA})},
			wantReady: "False/" + v1alpha1.ReasonNotAllowed,
		},
		"a policy on the group's tags allows a group carrying them": {
			policies:  []*v1alpha1.TargetGroupPolicy{tenancyPolicy("tags", "shop", v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "shop"}})},
			tags:      map[string]string{"owner": "shop"},
			wantReady: "True/Synced",
		},
		"a policy on the group's tags refuses a group without them": {
			policies:  []*v1alpha1.TargetGroupPolicy{tenancyPolicy("tags", "shop", v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "shop"}})},
			tags:      map[string]string{"owner": "billing"},
			wantReady: "False/" + v1alpha1.ReasonNotAllowed,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fake.Config{}, ready(ip1, ip2), newBinding("tgb", arnA, time.Hour, tc.opts...))
			w.aws.SetTags(arnA, tc.tags)
			for _, p := range tc.policies {
				if err := w.kube.Create(w.ctx, p); err != nil {
					t.Fatal(err)
				}
			}

			w.reconcile("tgb")

			if got := w.ready("tgb"); got != tc.wantReady {
				t.Fatalf("Ready = %s, want %s", got, tc.wantReady)
			}
			if tc.wantReady == "True/Synced" {
				if got, want := w.members(arnA), tgs(ip1, ip2); !reflect.DeepEqual(got, want) {
					t.Errorf("members = %q, want %q", got, want)
				}
				return
			}
			if writes := w.writes(); len(writes) != 0 {
				t.Errorf("a refused binding wrote %q, want nothing", writes)
			}
			if evs := w.events(); !hasEvent(evs, "Warning "+v1alpha1.ReasonNotAllowed, "TargetGroupPolicy") {
				t.Errorf("no Warning NotAllowed Event explaining the policies in %q", evs)
			}
			if b := w.binding("tgb"); b.Status.TargetGroupARN != "" {
				t.Errorf("a refused binding holds %s in its status", b.Status.TargetGroupARN)
			}
		})
	}
}

func TestTagsAreReadOncePerDriftIntervalNotPerChange(t *testing.T) {
	w := newWorld(t, fake.Config{}, ready(ip1), newBinding("tgb", arnA, time.Hour))
	w.aws.SetTags(arnA, map[string]string{"owner": "shop"})
	if err := w.kube.Create(w.ctx, tenancyPolicy("tags", "shop", v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "*"}})); err != nil {
		t.Fatal(err)
	}
	w.mustReconcile("tgb")
	for _, eps := range [][]endpoint{ready(ip1, ip2), ready(ip2), ready(ip2, ip3)} {
		w.setEndpoints(eps)
		w.mustReconcile("tgb")
	}
	if n := w.aws.Count(fake.OpDescribeTags); n != 1 {
		t.Errorf("%d DescribeTags calls over a claim and three endpoint changes, want 1", n)
	}
	w.clock.Step(6 * time.Minute)
	w.mustReconcile("tgb")
	if n := w.aws.Count(fake.OpDescribeTags); n != 2 {
		t.Errorf("%d DescribeTags calls after the drift interval, want 2", n)
	}
}
