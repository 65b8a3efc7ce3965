package gateaudit

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

func TestAPodAdmittedWithoutItsGateIsReported(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	optedIn := map[string]string{v1alpha1.ReadinessGateInjectLabel: v1alpha1.ReadinessGateInjectEnabled}
	pod := func(mutate ...func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", Labels: map[string]string{"app": "web"}, CreationTimestamp: metav1.NewTime(t0)}}
		for _, m := range mutate {
			m(p)
		}
		return p
	}
	withGate := func(p *corev1.Pod) {
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType("web")}}
	}
	bindingAt := func(at time.Time) *v1alpha1.TargetGroupBinding {
		return &v1alpha1.TargetGroupBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", CreationTimestamp: metav1.NewTime(at)},
			Spec:       v1alpha1.TargetGroupBindingSpec{ServiceRef: v1alpha1.ServiceReference{Name: "web"}},
		}
	}
	cases := map[string]struct {
		nsLabels   map[string]string
		pod        *corev1.Pod
		binding    *v1alpha1.TargetGroupBinding
		wantReport bool
	}{
		"a pod created without the gate of an older binding is reported": {
			nsLabels: optedIn, pod: pod(), binding: bindingAt(t0.Add(-time.Minute)), wantReport: true,
		},
		"a pod that carries its gate is fine": {
			nsLabels: optedIn, pod: pod(withGate), binding: bindingAt(t0.Add(-time.Minute)),
		},
		"a binding made after the pod was never the webhook's to inject": {
			nsLabels: optedIn, pod: pod(), binding: bindingAt(t0),
		},
		"a namespace that did not ask for gates is not checked": {
			nsLabels: map[string]string{}, pod: pod(), binding: bindingAt(t0.Add(-time.Minute)),
		},
		"a static pod's mirror never gets gates": {
			nsLabels: optedIn, binding: bindingAt(t0.Add(-time.Minute)),
			pod: pod(func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"} }),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := clientgoscheme.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			if err := v1alpha1.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: tc.nsLabels}}
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(ns, svc, tc.binding, tc.pod).Build()
			rec := events.NewFakeRecorder(10)
			reg := prometheus.NewRegistry()
			m, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			c := New(kube, kube, rec, m)
			if _, err := c.Reconcile(t.Context(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "shop", Name: "web-1"}}); err != nil {
				t.Fatal(err)
			}
			reported := testutil.ToFloat64(c.missing.WithLabelValues("shop")) == 1
			if reported != tc.wantReport {
				t.Fatalf("reported = %v, want %v", reported, tc.wantReport)
			}
			var got []string
			for len(rec.Events) > 0 {
				got = append(got, <-rec.Events)
			}
			if tc.wantReport && (len(got) != 1 || !strings.Contains(got[0], ReasonGateMissing) || !strings.Contains(got[0], string(podgate.ConditionType("web")))) {
				t.Errorf("events = %q, want one %s naming the gate", got, ReasonGateMissing)
			}
			if !tc.wantReport && len(got) != 0 {
				t.Errorf("events = %q, want none", got)
			}
		})
	}
}
