package claims

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestConflicting(t *testing.T) {
	const arn, other = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/73e2d6bc24d8a067", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/73e2d6bc24d8a067"
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tgb := func(name string, age time.Duration, statusARN, specARN string, multi bool) v1alpha1.TargetGroupBinding {
		return v1alpha1.TargetGroupBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name), CreationTimestamp: metav1.NewTime(t0.Add(-age))},
			Spec:       v1alpha1.TargetGroupBindingSpec{TargetGroupARN: specARN, MultiClusterTargetGroup: multi},
			Status:     v1alpha1.TargetGroupBindingStatus{TargetGroupARN: statusARN},
		}
	}
	deleting := tgb("old", time.Hour, arn, arn, false)
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}

	cases := map[string]struct {
		self   v1alpha1.TargetGroupBinding
		others []v1alpha1.TargetGroupBinding
		want   string // name of the owning binding, "" for no conflict
	}{
		"alone on its target group": {
			self: tgb("new", 0, "", arn, false),
			want: "",
		},
		"a younger binding yields to the older one on the same group": {
			self:   tgb("new", 0, "", arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, arn, arn, false)},
			want:   "old",
		},
		"the older binding keeps syncing": {
			self:   tgb("old", time.Hour, arn, arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("new", 0, "", arn, false)},
			want:   "",
		},
		"a group resolved from a name counts through the status": {
			self:   tgb("new", 0, "", arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, arn, "", false)},
			want:   "old",
		},
		"sharing is allowed when both are multi-cluster": {
			self:   tgb("new", 0, "", arn, true),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, arn, arn, true)},
			want:   "",
		},
		"multi-cluster on one side only is still a conflict": {
			self:   tgb("new", 0, "", arn, true),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, arn, arn, false)},
			want:   "old",
		},
		"a binding being deleted no longer holds the group": {
			self:   tgb("new", 0, "", arn, false),
			others: []v1alpha1.TargetGroupBinding{deleting},
			want:   "",
		},
		"another target group is no conflict": {
			self:   tgb("new", 0, "", arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, other, other, false)},
			want:   "",
		},
		"an older binding turned onto a live group does not take it": {
			self:   tgb("old", time.Hour, other, arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("new", 0, arn, arn, false)},
			want:   "new",
		},
		"the binding that holds the group keeps it against an older claimant": {
			self:   tgb("new", 0, arn, arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, "", arn, false)},
			want:   "",
		},
		"of two claims at once, the older wins": {
			self:   tgb("new", 0, "", arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("old", time.Hour, "", arn, false)},
			want:   "old",
		},
		"same age is decided by name, the same way on every replica": {
			self:   tgb("b", time.Hour, "", arn, false),
			others: []v1alpha1.TargetGroupBinding{tgb("a", time.Hour, arn, arn, false)},
			want:   "a",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			all := append([]v1alpha1.TargetGroupBinding{tc.self}, tc.others...)
			got := Conflicting(&tc.self, arn, all)
			gotName := ""
			if got != nil {
				gotName = got.Name
			}
			if gotName != tc.want {
				t.Fatalf("Conflicting = %q, want %q", gotName, tc.want)
			}
		})
	}
}

func TestValidateARN(t *testing.T) {
	cases := map[string]struct {
		arn string
		ok  bool
	}{
		"target group ARN is accepted":            {arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067", ok: true},
		"GovCloud partition is accepted":          {arn: "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/a/73e2d6bc24d8a067", ok: true},
		"load balancer ARN is refused":            {arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/x/73e2d6bc24d8a067"},
		"short account ID is refused":             {arn: "arn:aws:elasticloadbalancing:us-west-2:1234:targetgroup/a/73e2d6bc24d8a067"},
		"target group name alone is refused":      {arn: "my-targets"},
		"name longer than 32 chars is refused":    {arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/abcdefghijklmnopqrstuvwxyz0123456/73e2d6bc24d8a067"},
		"trailing whitespace is refused":          {arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/a/73e2d6bc24d8a067 "},
		"another service's ARN is refused":        {arn: "arn:aws:ec2:us-west-2:123456789012:targetgroup/a/73e2d6bc24d8a067"},
		"empty string is refused":                 {arn: ""},
		"upper-case hex id is refused like AWS's": {arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/a/73E2D6BC24D8A067"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := ValidateARN(tc.arn); (err == nil) != tc.ok {
				t.Fatalf("ValidateARN(%q) = %v, want ok=%v", tc.arn, err, tc.ok)
			}
		})
	}
}

func TestParseARN(t *testing.T) {
	got, err := ParseARN("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067")
	if err != nil {
		t.Fatal(err)
	}
	want := ARN{Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "123456789012", Name: "web"}
	if got != want {
		t.Fatalf("ParseARN = %+v, want %+v", got, want)
	}
}

func TestConflictingAtAdmission(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/73e2d6bc24d8a067"
	holder := v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "holder", UID: "u1", CreationTimestamp: metav1.Now()},
		Spec:       v1alpha1.TargetGroupBindingSpec{TargetGroupARN: arn},
		Status:     v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arn},
	}
	cases := map[string]struct {
		self v1alpha1.TargetGroupBinding
		want string
	}{
		"a new binding without a UID yet yields to the holder": {
			self: v1alpha1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "new"}, Spec: v1alpha1.TargetGroupBindingSpec{TargetGroupARN: arn}},
			want: "holder",
		},
		"the holder's own update without a UID is not a conflict with itself": {
			self: v1alpha1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "holder"}, Spec: v1alpha1.TargetGroupBindingSpec{TargetGroupARN: arn}, Status: holder.Status},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Conflicting(&tc.self, arn, []v1alpha1.TargetGroupBinding{holder})
			if gotName := nameOf(got); gotName != tc.want {
				t.Fatalf("Conflicting = %q, want %q", gotName, tc.want)
			}
		})
	}
}

func TestARNByName(t *testing.T) {
	const (
		east  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"
		west  = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/0000000000000001"
		other = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/73e2d6bc24d8a067"
	)
	byStatus := func(arn string) v1alpha1.TargetGroupBinding {
		return v1alpha1.TargetGroupBinding{Status: v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arn}}
	}
	every := func(ARN) bool { return true }
	inEast := func(a ARN) bool { return a.Region == "us-east-1" }
	cases := map[string]struct {
		others []v1alpha1.TargetGroupBinding
		accept func(ARN) bool
		want   string
	}{
		"a group another binding holds is found by its name":               {others: []v1alpha1.TargetGroupBinding{byStatus(east), byStatus(other)}, accept: every, want: east},
		"no binding on a group of that name leaves it to the controller":   {others: []v1alpha1.TargetGroupBinding{byStatus(other)}, accept: every},
		"two groups of that name in different regions are not guessed":     {others: []v1alpha1.TargetGroupBinding{byStatus(east), byStatus(west)}, accept: every},
		"the region tgc manages settles which group of that name is meant": {others: []v1alpha1.TargetGroupBinding{byStatus(east), byStatus(west)}, accept: inEast, want: east},
		"a name binding not yet resolved tells nothing":                    {others: []v1alpha1.TargetGroupBinding{{Spec: v1alpha1.TargetGroupBindingSpec{TargetGroupName: "web"}}}, accept: every},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := ARNByName("web", tc.others, tc.accept)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("ARNByName = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func nameOf(b *v1alpha1.TargetGroupBinding) string {
	if b == nil {
		return ""
	}
	return b.Name
}
