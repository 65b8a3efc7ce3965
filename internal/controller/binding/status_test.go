package binding

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestLastSyncDue(t *testing.T) {
	at := func(d time.Duration) *metav1.Time { m := metav1.NewTime(t0.Add(d)); return &m }
	counts := v1alpha1.TargetCounts{Desired: 2, Registered: 2, Healthy: 2}
	cases := map[string]struct {
		before, after v1alpha1.TargetGroupBindingStatus
		now           time.Duration
		want          bool
	}{
		"a first sync records the time": {
			after: v1alpha1.TargetGroupBindingStatus{Targets: counts},
			want:  true,
		},
		"a sync that changes nothing else waits for the interval": {
			before: v1alpha1.TargetGroupBindingStatus{Targets: counts, LastSyncTime: at(0)},
			after:  v1alpha1.TargetGroupBindingStatus{Targets: counts, LastSyncTime: at(0)},
			now:    v1alpha1.LastSyncTimeInterval - time.Second,
		},
		"a sync that changes nothing else moves it once the interval is over": {
			before: v1alpha1.TargetGroupBindingStatus{Targets: counts, LastSyncTime: at(0)},
			after:  v1alpha1.TargetGroupBindingStatus{Targets: counts, LastSyncTime: at(0)},
			now:    v1alpha1.LastSyncTimeInterval,
			want:   true,
		},
		"a patch that goes out for the counts carries the current time": {
			before: v1alpha1.TargetGroupBindingStatus{Targets: v1alpha1.TargetCounts{Desired: 2, Registered: 2, Initial: 1, Healthy: 1}, LastSyncTime: at(0)},
			after:  v1alpha1.TargetGroupBindingStatus{Targets: counts, LastSyncTime: at(0)},
			now:    time.Second,
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := lastSyncDue(tc.before, tc.after, t0.Add(tc.now)); got != tc.want {
				t.Errorf("lastSyncDue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMergePatchOfStatus(t *testing.T) {
	before := v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arnA, OwnedTargets: []string{"10.0.0.1:80"},
		Targets: v1alpha1.TargetCounts{Desired: 1, Registered: 1, Initial: 1}}
	cases := map[string]struct {
		after v1alpha1.TargetGroupBindingStatus
		want  string
	}{
		"only the changed counts are sent": {
			after: v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arnA, OwnedTargets: []string{"10.0.0.1:80"},
				Targets: v1alpha1.TargetCounts{Desired: 1, Registered: 1, Healthy: 1}},
			want: `{"status":{"targets":{"healthy":1,"initial":0}}}`,
		},
		"a field the sync cleared is removed, not left as it was": {
			after: v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arnA, Targets: before.Targets},
			want:  `{"status":{"ownedTargets":null}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := mergePatchOfStatus(before, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("patch = %s, want %s", got, tc.want)
			}
		})
	}
}
