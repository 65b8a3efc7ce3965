package gateinjector

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	tgcv1alpha1 "github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	webhookdrain "github.com/tgc-dev/targetgroupcontroller/internal/drain"
)

// drainWorld is world() with the binding opted in to drain sizing, a
// recorded delay (nil: none yet) and a Service port whose targetPort is
// named "http".
func drainWorld(delay *int32) []client.Object {
	objs := world()
	svc := objs[1].(*corev1.Service)
	svc.Spec.Ports = []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromString("http")}}
	b := objs[2].(*tgcv1alpha1.TargetGroupBinding)
	b.Spec.ServiceRef.Port = intstr.FromInt32(80)
	b.Spec.Drain = &tgcv1alpha1.DrainPolicy{Inject: true}
	b.Status.DeregistrationDelaySeconds = delay
	return objs
}

func drainHandler(t *testing.T, objs []client.Object) *Handler {
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).WithStatusSubresource(&tgcv1alpha1.TargetGroupBinding{}).Build()
	return NewHandler(c).WithDrain(Drain{Margins: webhookdrain.Margins{Propagation: 3e9, Shutdown: 2e9, MaxPreStop: 60e9}})
}

func drainRecordOf(t *testing.T, pod map[string]any) *tgcv1alpha1.DrainRecord {
	t.Helper()
	meta, _ := pod["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	v, ok := ann[tgcv1alpha1.AnnotationDrain].(string)
	if !ok {
		return nil
	}
	var rec tgcv1alpha1.DrainRecord
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		t.Fatalf("drain annotation %q: %v", v, err)
	}
	return &rec
}

func TestHandlerSizesDrains(t *testing.T) {
	const twoContainers = `{"metadata":{"generateName":"web-","labels":{"app":"web"}%s},"spec":{"terminationGracePeriodSeconds":%d,"futureField":1,"containers":[` +
		`{"name":"mesh","image":"m","ports":[{"name":"admin","containerPort":15000}]},` +
		`{"name":"app","image":"a","ports":[{"name":"http","containerPort":8080}]%s}]}}`
	cases := map[string]struct {
		objs      []client.Object
		pod       string
		wantSleep int64 // on container 1; 0: none added
		wantGrace int64
		wantRec   bool
		wantWarn  bool
	}{
		"the serving container gets a sleep of delay plus margin and the grace period covers it": {
			objs: drainWorld(ptr.To(int32(20))), pod: fmt.Sprintf(twoContainers, "", 30, ""),
			wantSleep: 23, wantGrace: 30, wantRec: true,
		},
		"a short grace period is raised to the sleep plus the shutdown margin": {
			objs: drainWorld(ptr.To(int32(40))), pod: fmt.Sprintf(twoContainers, "", 30, ""),
			wantSleep: 43, wantGrace: 45, wantRec: true,
		},
		"no recorded delay admits the pod unchanged, with a warning": {
			objs: drainWorld(nil), pod: fmt.Sprintf(twoContainers, "", 30, ""),
			wantGrace: 30, wantWarn: true,
		},
		"a container with its own lifecycle but no preStop gets the preStop added beside it": {
			objs: drainWorld(ptr.To(int32(20))), pod: fmt.Sprintf(twoContainers, "", 30, `,"lifecycle":{"postStart":{"sleep":{"seconds":1}}}`),
			wantSleep: 23, wantGrace: 30, wantRec: true,
		},
		"a pod the webhook already sized (reinvocation) is left alone": {
			objs: drainWorld(ptr.To(int32(20))), pod: fmt.Sprintf(twoContainers, `,"annotations":{"elbv2.tgc.dev/drain":"{}"}`, 30, ""),
			wantGrace: 30,
		},
		"a namespace without the injection label sizes nothing, whatever the binding asks": {
			objs: func() []client.Object {
				objs := drainWorld(ptr.To(int32(20)))
				objs[0].SetLabels(nil)
				return objs
			}(), pod: fmt.Sprintf(twoContainers, "", 30, ""),
			wantGrace: 30,
		},
		"a binding without drain.inject sizes nothing": {
			objs: func() []client.Object {
				objs := drainWorld(ptr.To(int32(20)))
				objs[2].(*tgcv1alpha1.TargetGroupBinding).Spec.Drain = nil
				return objs
			}(), pod: fmt.Sprintf(twoContainers, "", 30, ""),
			wantGrace: 30,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp := drainHandler(t, tc.objs).Handle(context.Background(), podCreate(tc.pod))
			if !resp.Allowed {
				t.Fatalf("pod denied: %+v", resp.Result)
			}
			if got := len(resp.Warnings) > 0; got != tc.wantWarn {
				t.Errorf("warnings %v, want some: %v", resp.Warnings, tc.wantWarn)
			}
			out := applied(t, tc.pod, resp)
			spec := out["spec"].(map[string]any)
			if _, ok := spec["futureField"]; !ok {
				t.Error("spec.futureField was dropped")
			}
			if g := int64(spec["terminationGracePeriodSeconds"].(float64)); g != tc.wantGrace {
				t.Errorf("terminationGracePeriodSeconds = %d, want %d", g, tc.wantGrace)
			}
			containers := spec["containers"].([]any)
			if lc, ok := containers[0].(map[string]any)["lifecycle"]; ok {
				t.Errorf("the container that does not serve got a lifecycle: %v", lc)
			}
			var sleep int64
			lc, _ := containers[1].(map[string]any)["lifecycle"].(map[string]any)
			if ps, ok := lc["preStop"].(map[string]any); ok {
				sleep = int64(ps["sleep"].(map[string]any)["seconds"].(float64))
			}
			if sleep != tc.wantSleep {
				t.Errorf("serving container's preStop sleep = %d, want %d", sleep, tc.wantSleep)
			}
			if strings.Contains(tc.pod, "postStart") {
				if _, ok := lc["postStart"]; !ok {
					t.Error("the container's postStart was dropped")
				}
			}
			rec := drainRecordOf(t, out)
			if (rec != nil && rec.PreStopSeconds != 0) != tc.wantRec {
				t.Fatalf("drain record %+v, want one: %v", rec, tc.wantRec)
			}
			if tc.wantRec && (rec.PreStopSeconds != tc.wantSleep || rec.TerminationGracePeriodSeconds != tc.wantGrace || rec.Containers[0] != "app") {
				t.Errorf("drain record %+v does not match the pod", rec)
			}
		})
	}
}

func TestDrainSources(t *testing.T) {
	optedIn := map[string]string{tgcv1alpha1.ReadinessGateInjectLabel: tgcv1alpha1.ReadinessGateInjectEnabled}
	web := Service{Name: "web", Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}}
	webPod := map[string]string{"app": "web"}
	drainer := Binding{Name: "web-tg", ServiceName: "web", Drain: true, ServicePort: intstr.FromInt32(80)}
	with := func(mutate func(*Binding)) Binding {
		b := drainer
		mutate(&b)
		return b
	}
	cases := map[string]struct {
		in   Input
		want []string
	}{
		"an opted-in binding whose Service selects the pod is a source": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{drainer}}, want: []string{"web-tg"},
		},
		"a namespace without the injection label has no source": {
			in: Input{PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{drainer}},
		},
		"a binding without drain.inject is no source": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{with(func(b *Binding) { b.Drain = false })}},
		},
		"an instance binding is no source: its targets are nodes": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{with(func(b *Binding) { b.Instance = true })}},
		},
		"a binding being deleted is no source": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{with(func(b *Binding) { b.Deleting = true })}},
		},
		"a binding naming a port the Service lacks is no source": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{with(func(b *Binding) { b.ServicePort = intstr.FromString("grpc") })}},
		},
		"a pod the Service does not select has no source": {
			in: Input{NamespaceLabels: optedIn, PodLabels: map[string]string{"app": "api"}, Services: []Service{web}, Bindings: []Binding{drainer}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, s := range DrainSources(tc.in) {
				got = append(got, s.Binding)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("sources %v, want %v", got, tc.want)
			}
		})
	}
}
