package binding

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestNeedsSync(t *testing.T) {
	base := func() *v1alpha1.TargetGroupBinding {
		return &v1alpha1.TargetGroupBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Generation: 3, Finalizers: []string{"elbv2.tgc.dev/targets"},
				Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
			Status: v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arnA, Targets: v1alpha1.TargetCounts{Desired: 2, Registered: 2, Initial: 2}},
		}
	}
	now := metav1.NewTime(time.Unix(1700000000, 0))
	cases := map[string]struct {
		change func(*v1alpha1.TargetGroupBinding)
		want   bool
	}{
		"tgc's own status write (counts, lastSyncTime) is not a reason to sync": {
			change: func(b *v1alpha1.TargetGroupBinding) {
				b.Status.Targets = v1alpha1.TargetCounts{Desired: 2, Registered: 2, Healthy: 2}
				b.Status.LastSyncTime = &now
				b.ResourceVersion = "42"
			},
		},
		"an annotation tgc does not read is not a reason to sync": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.Annotations["team"] = "payments" },
		},
		"a label change is not a reason to sync": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.Labels = map[string]string{"tier": "web"} },
		},
		"a spec change (generation) syncs": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.Generation++ },
			want:   true,
		},
		"the start of deletion syncs": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.DeletionTimestamp = &now },
			want:   true,
		},
		"a finalizer replaced by another of the same count syncs": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.Finalizers = []string{"example.com/other"} },
			want:   true,
		},
		"confirming a held deregistration syncs": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.Annotations[v1alpha1.ConfirmDeregistrationAnnotation] = "2" },
			want:   true,
		},
		"an empty confirmation added syncs": {
			change: func(b *v1alpha1.TargetGroupBinding) { b.Annotations[v1alpha1.ConfirmDeregistrationAnnotation] = "" },
			want:   true,
		},
		"the migrated-from annotation syncs, as it decides which readiness gates are the binding's": {
			change: func(b *v1alpha1.TargetGroupBinding) {
				b.Annotations[v1alpha1.MigratedFromAnnotation] = "TargetGroupBinding.elbv2.k8s.aws/web"
			},
			want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			old, cur := base(), base()
			tc.change(cur)
			if got := needsSync(old, cur); got != tc.want {
				t.Errorf("needsSync = %v, want %v", got, tc.want)
			}
		})
	}
}
