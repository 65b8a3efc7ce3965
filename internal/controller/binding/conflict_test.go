package binding

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestConflictingBinding(t *testing.T) {
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
			got := conflictingBinding(&tc.self, arn, all)
			gotName := ""
			if got != nil {
				gotName = got.Name
			}
			if gotName != tc.want {
				t.Fatalf("conflictingBinding = %q, want %q", gotName, tc.want)
			}
		})
	}
}
