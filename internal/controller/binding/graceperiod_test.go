package binding

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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

func TestPreStopTooShort(t *testing.T) {
	web := &corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("http")}
	sleep := func(secs int64) *corev1.Lifecycle {
		return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: secs}}}
	}
	pod := func(serving, sidecar *corev1.Lifecycle) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "mesh", Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 15000}}, Lifecycle: sidecar},
			{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, Lifecycle: serving},
		}}}
	}
	cases := map[string]struct {
		pod  *corev1.Pod
		sp   *corev1.ServicePort
		want bool
	}{
		"the serving container's own preStop below the delay is too short": {pod: pod(sleep(5), nil), sp: web, want: true},
		"a preStop as long as the delay is enough":                         {pod: pod(sleep(30), nil), sp: web},
		"a container without a preStop is not this warning's":              {pod: pod(nil, nil), sp: web},
		"a short preStop on a container that does not serve is not judged": {pod: pod(nil, sleep(1)), sp: web},
		"a preStop of unknown length is not judged":                        {pod: pod(&corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain"}}}, nil), sp: web},
		"no Service port, no serving container":                            {pod: pod(sleep(5), nil)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, got := PreStopTooShort(tc.pod, tc.sp, 30*time.Second); got != tc.want {
				t.Fatalf("PreStopTooShort = %v, want %v", got, tc.want)
			}
		})
	}
}
