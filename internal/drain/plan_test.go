package drain

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestDecide(t *testing.T) {
	margins := Margins{Propagation: 10 * time.Second, Shutdown: 5 * time.Second, MaxPreStop: 5 * time.Minute}
	delay := func(d time.Duration) *time.Duration { return &d }
	web := corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("http")}
	app := corev1.Container{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	sidecar := corev1.Container{Name: "mesh", Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 15000}}}
	withPreStop := func(c corev1.Container, secs int64) corev1.Container {
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: secs}}}
		return c
	}
	pod := func(grace *int64, cs ...corev1.Container) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{Containers: cs, TerminationGracePeriodSeconds: grace}}
	}

	cases := map[string]struct {
		pod     *corev1.Pod
		sources []Source
		// wantPreStop maps container index to sleep; nil: none added.
		wantPreStop map[int]int64
		wantGrace   *int64 // nil: kept
		wantRecord  bool
		wantReasons []string
	}{
		"the serving container sleeps the delay plus the propagation margin and the grace period covers it": {
			pod:         pod(ptr.To(int64(30)), sidecar, app),
			sources:     []Source{{Binding: "web-tg", ServicePort: web, Delay: delay(20 * time.Second)}},
			wantPreStop: map[int]int64{1: 30}, wantGrace: ptr.To(int64(35)), wantRecord: true,
		},
		"a longer grace period set by the user is never lowered": {
			pod:         pod(ptr.To(int64(600)), app),
			sources:     []Source{{Binding: "web-tg", ServicePort: web, Delay: delay(20 * time.Second)}},
			wantPreStop: map[int]int64{0: 30}, wantRecord: true,
		},
		"a pod with no grace period counts the API's default of 30s": {
			pod:         pod(nil, app),
			sources:     []Source{{Binding: "web-tg", ServicePort: web, Delay: delay(5 * time.Second)}},
			wantPreStop: map[int]int64{0: 15}, wantRecord: true,
		},
		"the sleep is capped, the grace period still covers it": {
			pod:         pod(ptr.To(int64(30)), app),
			sources:     []Source{{Binding: "web-tg", ServicePort: web, Delay: delay(time.Hour)}},
			wantPreStop: map[int]int64{0: 300}, wantGrace: ptr.To(int64(305)), wantRecord: true,
		},
		"a pod of two bindings sleeps the largest delay": {
			pod: pod(ptr.To(int64(30)), app),
			sources: []Source{
				{Binding: "a", ServicePort: web, Delay: delay(2 * time.Second)},
				{Binding: "b", ServicePort: web, Delay: delay(40 * time.Second)},
			},
			wantPreStop: map[int]int64{0: 50}, wantGrace: ptr.To(int64(55)), wantRecord: true,
		},
		"a binding whose delay is not recorded yet leaves the pod unchanged, with a problem": {
			pod: pod(ptr.To(int64(30)), app),
			sources: []Source{
				{Binding: "a", ServicePort: web, Delay: delay(2 * time.Second)},
				{Binding: "b", ServicePort: web},
			},
			wantReasons: []string{ReasonNoDelayRecorded},
		},
		"a container with its own preStop is left alone, and warned when it is shorter than the delay": {
			pod:         pod(ptr.To(int64(30)), withPreStop(app, 3)),
			sources:     []Source{{Binding: "web-tg", ServicePort: web, Delay: delay(20 * time.Second)}},
			wantRecord:  true,
			wantReasons: []string{ReasonPreStopTooShort},
		},
		"a container with its own preStop as long as the delay is left alone without a warning": {
			pod:        pod(ptr.To(int64(30)), withPreStop(app, 25)),
			sources:    []Source{{Binding: "web-tg", ServicePort: web, Delay: delay(20 * time.Second)}},
			wantRecord: true,
		},
		"a targetPort that names no container port leaves the pod unchanged, with a problem": {
			pod:         pod(ptr.To(int64(30)), sidecar, app),
			sources:     []Source{{Binding: "web-tg", ServicePort: corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("htp")}, Delay: delay(20 * time.Second)}},
			wantReasons: []string{ReasonNoServingContainer},
		},
		"a numbered targetPort finds the container declaring it": {
			pod:         pod(ptr.To(int64(30)), sidecar, app),
			sources:     []Source{{Binding: "web-tg", ServicePort: corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(8080)}, Delay: delay(0)}},
			wantPreStop: map[int]int64{1: 10}, wantRecord: true,
		},
		"a numbered targetPort nobody declares is served by the only container": {
			pod:         pod(ptr.To(int64(30)), corev1.Container{Name: "app"}),
			sources:     []Source{{Binding: "web-tg", ServicePort: corev1.ServicePort{Port: 8080}, Delay: delay(0)}},
			wantPreStop: map[int]int64{0: 10}, wantRecord: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			plan, problems := Decide(tc.pod, tc.sources, margins)
			var reasons []string
			for _, p := range problems {
				reasons = append(reasons, p.Reason)
			}
			if !slices.Equal(reasons, tc.wantReasons) {
				t.Errorf("problems %v, want reasons %v", problems, tc.wantReasons)
			}
			if got := !plan.Empty(); got != tc.wantRecord {
				t.Fatalf("plan has a record: %v, want %v (%+v)", got, tc.wantRecord, plan)
			}
			if len(plan.PreStop) != len(tc.wantPreStop) {
				t.Errorf("preStop sleeps %v, want %v", plan.PreStop, tc.wantPreStop)
			}
			for i, s := range tc.wantPreStop {
				if plan.PreStop[i] != s {
					t.Errorf("preStop sleeps %v, want %v", plan.PreStop, tc.wantPreStop)
				}
			}
			if (plan.Grace == nil) != (tc.wantGrace == nil) || (plan.Grace != nil && *plan.Grace != *tc.wantGrace) {
				t.Errorf("grace %v, want %v", ptr.Deref(plan.Grace, -1), ptr.Deref(tc.wantGrace, -1))
			}
			if plan.Record != nil && plan.Grace != nil && plan.Record.TerminationGracePeriodSeconds != *plan.Grace {
				t.Errorf("record says grace %d, plan sets %d", plan.Record.TerminationGracePeriodSeconds, *plan.Grace)
			}
		})
	}
}

func TestPreStopDuration(t *testing.T) {
	lc := func(h corev1.LifecycleHandler) *corev1.Container {
		return &corev1.Container{Lifecycle: &corev1.Lifecycle{PreStop: &h}}
	}
	cases := map[string]struct {
		c         *corev1.Container
		want      time.Duration
		has, know bool
	}{
		"no lifecycle":                   {c: &corev1.Container{}},
		"the sleep action":               {c: lc(corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 15}}), want: 15 * time.Second, has: true, know: true},
		"exec of sleep":                  {c: lc(corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "20"}}}), want: 20 * time.Second, has: true, know: true},
		"exec of sleep through a shell":  {c: lc(corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "sleep 7"}}}), want: 7 * time.Second, has: true, know: true},
		"a script of unknown length":     {c: lc(corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "nginx -s quit; sleep 3"}}}), has: true},
		"an HTTP call of unknown length": {c: lc(corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain"}}), has: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, has, known := PreStopDuration(tc.c)
			if d != tc.want || has != tc.has || known != tc.know {
				t.Fatalf("PreStopDuration = %s, has %v, known %v; want %s, %v, %v", d, has, known, tc.want, tc.has, tc.know)
			}
		})
	}
}
