package binding

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestGracePeriodTooShort(t *testing.T) {
	pod := func(grace *int64) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{TerminationGracePeriodSeconds: grace}}
	}
	cases := map[string]struct {
		pod   *corev1.Pod
		delay time.Duration
		want  bool
	}{
		"grace period below the deregistration delay is too short":   {pod: pod(ptr.To(int64(10))), delay: 30 * time.Second, want: true},
		"grace period equal to the delay is enough":                  {pod: pod(ptr.To(int64(30))), delay: 30 * time.Second},
		"unset grace period is the API default of 30s":               {pod: pod(nil), delay: 300 * time.Second, want: true},
		"unset grace period covers a short delay":                    {pod: pod(nil), delay: 20 * time.Second},
		"zero deregistration delay never warns":                      {pod: pod(ptr.To(int64(0))), delay: 0},
		"the AWS default delay of 300s needs a long grace period":    {pod: pod(ptr.To(int64(60))), delay: 300 * time.Second, want: true},
		"a grace period covering the AWS default delay is not noted": {pod: pod(ptr.To(int64(330))), delay: 300 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := GracePeriodTooShort(tc.pod, tc.delay); got != tc.want {
				t.Fatalf("GracePeriodTooShort = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeletionRequestedSubtractsTheGracePeriodFromDeletionTimestamp(t *testing.T) {
	ts := metav1.NewTime(time.Unix(1030, 0))
	cases := map[string]struct {
		pod    *corev1.Pod
		want   time.Time
		wantOK bool
	}{
		"graceful delete was requested grace seconds before the timestamp": {
			pod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &ts, DeletionGracePeriodSeconds: ptr.To(int64(30))}},
			want: time.Unix(1000, 0), wantOK: true,
		},
		"without a grace period the timestamp is the request": {
			pod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &ts}},
			want: time.Unix(1030, 0), wantOK: true,
		},
		"pod not being deleted has no request time": {pod: &corev1.Pod{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := DeletionRequested(tc.pod)
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Fatalf("DeletionRequested = %s, %v; want %s, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
