package kubelet

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestPreStopDuration(t *testing.T) {
	exec := func(cmd ...string) *corev1.Lifecycle {
		return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: cmd}}}
	}
	tests := map[string]struct {
		lifecycle *corev1.Lifecycle
		want      time.Duration
		wantErr   bool
	}{
		"no lifecycle means no preStop":   {nil, 0, false},
		"native sleep action":             {&corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}, 5 * time.Second, false},
		"exec sleep":                      {exec("sleep", "3"), 3 * time.Second, false},
		"exec /bin/sleep with fraction":   {exec("/bin/sleep", "0.5"), 500 * time.Millisecond, false},
		"shell sleep":                     {exec("/bin/sh", "-c", "sleep 7"), 7 * time.Second, false},
		"shell sleep with seconds suffix": {exec("sh", "-c", "sleep 2s"), 2 * time.Second, false},
		"shell sleep in minutes":          {exec("/bin/bash", "-c", "sleep 1m"), time.Minute, false},
		"other command is unsupported":    {exec("nginx", "-s", "quit"), 0, true},
		"shell script is unsupported":     {exec("/bin/sh", "-c", "sleep 1 && kill 1"), 0, true},
		"negative sleep is refused":       {exec("sleep", "-1"), 0, true},
		"httpGet hook is unsupported":     {&corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain"}}}, 0, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := preStopDuration(corev1.Container{Name: "app", Lifecycle: tc.lifecycle})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("duration = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPodPreStopIsTheLongestContainerHook(t *testing.T) {
	sleep := func(s int64) *corev1.Lifecycle {
		return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: s}}}
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "a", Lifecycle: sleep(2)},
		{Name: "b", Lifecycle: sleep(9)},
		{Name: "c"},
	}}}
	got, errs := podPreStop(pod)
	if len(errs) > 0 || got != 9*time.Second {
		t.Errorf("podPreStop = %v, %v; want 9s and no errors", got, errs)
	}
}
