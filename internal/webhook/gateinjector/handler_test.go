package gateinjector

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	tgcv1alpha1 "github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

const podNamespace = "shop"

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := tgcv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// world is an opted-in namespace with a Service "web" selecting app=web and
// a binding "web-tg" on it.
func world() []client.Object {
	return []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: podNamespace, Labels: map[string]string{tgcv1alpha1.ReadinessGateInjectLabel: tgcv1alpha1.ReadinessGateInjectEnabled}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: podNamespace, Name: "web"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}},
		&tgcv1alpha1.TargetGroupBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: podNamespace, Name: "web-tg"},
			Spec:       tgcv1alpha1.TargetGroupBindingSpec{TargetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef", ServiceRef: tgcv1alpha1.ServiceReference{Name: "web"}},
		},
	}
}

// podCreate is an admission request creating the pod given as raw JSON, so
// that tests control exactly what the API server would send.
func podCreate(rawPod string) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "req-1",
		Operation: admissionv1.Create,
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: podNamespace,
		Object:    runtime.RawExtension{Raw: []byte(rawPod)},
	}}
}

// applied returns the pod JSON after applying the response's patch.
func applied(t *testing.T, rawPod string, resp admission.Response) map[string]any {
	t.Helper()
	out := []byte(rawPod)
	if len(resp.Patches) > 0 {
		ops, err := json.Marshal(resp.Patches)
		if err != nil {
			t.Fatal(err)
		}
		patch, err := jsonpatchv5.DecodePatch(ops)
		if err != nil {
			t.Fatalf("decoding patch %s: %v", ops, err)
		}
		if out, err = patch.Apply(out); err != nil {
			t.Fatalf("applying patch %s: %v", ops, err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func gateTypes(t *testing.T, pod map[string]any) []string {
	t.Helper()
	spec, _ := pod["spec"].(map[string]any)
	gates, _ := spec["readinessGates"].([]any)
	var out []string
	for _, g := range gates {
		out = append(out, g.(map[string]any)["conditionType"].(string))
	}
	return out
}

func TestHandlerPatchesPods(t *testing.T) {
	cases := map[string]struct {
		pod       string
		wantGates []string
	}{
		"selected pod without gates gets the list created": {
			pod:       `{"metadata":{"generateName":"web-","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
			wantGates: []string{"target-health.elbv2.tgc.dev/web-tg"},
		},
		"selected pod with a hand-written gate keeps it and gets ours appended": {
			pod:       `{"metadata":{"labels":{"app":"web"}},"spec":{"readinessGates":[{"conditionType":"example.com/warm"}],"containers":[{"name":"c","image":"i"}]}}`,
			wantGates: []string{"example.com/warm", "target-health.elbv2.tgc.dev/web-tg"},
		},
		"pod already carrying our gate is left alone": {
			pod:       `{"metadata":{"labels":{"app":"web"}},"spec":{"readinessGates":[{"conditionType":"target-health.elbv2.tgc.dev/web-tg"}],"containers":[{"name":"c","image":"i"}]}}`,
			wantGates: []string{"target-health.elbv2.tgc.dev/web-tg"},
		},
		"pod no service selects is left alone": {
			pod: `{"metadata":{"labels":{"app":"batch"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		},
		"mirror pod is left alone": {
			pod: `{"metadata":{"labels":{"app":"web"},"annotations":{"kubernetes.io/config.mirror":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(world()...).Build()
			resp := NewHandler(c).Handle(context.Background(), podCreate(tc.pod))
			if !resp.Allowed {
				t.Fatalf("pod denied: %+v", resp.Result)
			}
			if got := gateTypes(t, applied(t, tc.pod, resp)); !slices.Equal(got, tc.wantGates) {
				t.Fatalf("readinessGates after patch = %v, want %v", got, tc.wantGates)
			}
		})
	}
}

// An instance binding registers nodes, so the pods of its Service get no
// gate, read from the binding's spec.targetType as the API stores it.
func TestHandlerGivesNoGateForAnInstanceBinding(t *testing.T) {
	objs := world()
	b := objs[2].(*tgcv1alpha1.TargetGroupBinding)
	b.Spec.TargetType = tgcv1alpha1.TargetTypeInstance
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).Build()
	pod := `{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`
	resp := NewHandler(c).Handle(context.Background(), podCreate(pod))
	if !resp.Allowed {
		t.Fatalf("pod denied: %+v", resp.Result)
	}
	if got := gateTypes(t, applied(t, pod, resp)); len(got) != 0 {
		t.Fatalf("readinessGates after patch = %v, want none", got)
	}
}

func TestHandlerKeepsPodFieldsItDoesNotKnow(t *testing.T) {
	// A field from a Kubernetes newer than our k8s.io/api must survive.
	pod := `{"metadata":{"labels":{"app":"web"}},"spec":{"futureField":{"x":1},"containers":[{"name":"c","image":"i","futureContainerField":true}]}}`
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(world()...).Build()
	resp := NewHandler(c).Handle(context.Background(), podCreate(pod))
	for _, op := range resp.Patches {
		if op.Operation != "add" || !strings.HasPrefix(op.Path, "/spec/readinessGates") {
			t.Errorf("patch touches more than readinessGates: %s %s", op.Operation, op.Path)
		}
	}
	out := applied(t, pod, resp)
	spec := out["spec"].(map[string]any)
	if _, ok := spec["futureField"]; !ok {
		t.Error("spec.futureField was dropped")
	}
	if got := gateTypes(t, out); len(got) != 1 {
		t.Errorf("readinessGates = %v, want the web-tg gate", got)
	}
}

func TestHandlerNeverDenies(t *testing.T) {
	webPod := `{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`
	boom := errors.New("apiserver unavailable")
	cases := map[string]struct {
		req         admission.Request
		funcs       interceptor.Funcs
		wantWarning bool
	}{
		"namespace lookup fails": {
			req: podCreate(webPod),
			funcs: interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
				return boom
			}},
			wantWarning: true,
		},
		"listing bindings fails": {
			req: podCreate(webPod),
			funcs: interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				if _, ok := list.(*tgcv1alpha1.TargetGroupBindingList); ok {
					return boom
				}
				return c.List(ctx, list, opts...)
			}},
			wantWarning: true,
		},
		"listing services fails": {
			req: podCreate(webPod),
			funcs: interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				if _, ok := list.(*corev1.ServiceList); ok {
					return boom
				}
				return c.List(ctx, list, opts...)
			}},
			wantWarning: true,
		},
		"pod body is not JSON": {
			req:         podCreate(`{not json`),
			wantWarning: true,
		},
		"lookup panics": {
			req: podCreate(webPod),
			funcs: interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
				panic("bug")
			}},
			wantWarning: true,
		},
		"update of a pod is ignored": {
			req: func() admission.Request {
				r := podCreate(webPod)
				r.Operation = admissionv1.Update
				return r
			}(),
		},
		"status subresource is ignored": {
			req: func() admission.Request {
				r := podCreate(webPod)
				r.SubResource = "status"
				return r
			}(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(world()...).WithInterceptorFuncs(tc.funcs).Build()
			resp := NewHandler(c).Handle(context.Background(), tc.req)
			if !resp.Allowed {
				t.Fatalf("pod denied: %+v", resp.Result)
			}
			if len(resp.Patches) != 0 {
				t.Fatalf("pod patched: %+v", resp.Patches)
			}
			if gotWarning := len(resp.Warnings) > 0; gotWarning != tc.wantWarning {
				t.Fatalf("warnings = %v, want a warning: %v", resp.Warnings, tc.wantWarning)
			}
		})
	}
}

func TestHandlerChecksNamespaceLabelItself(t *testing.T) {
	// The namespaceSelector should keep these requests away; if a hand-made
	// configuration lacks it, the handler still injects nothing.
	objs := world()
	objs[0].SetLabels(nil)
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).Build()
	resp := NewHandler(c).Handle(context.Background(), podCreate(`{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`))
	if !resp.Allowed || len(resp.Patches) != 0 {
		t.Fatalf("pod in a namespace without the label: allowed=%v patches=%v; want allowed and unpatched", resp.Allowed, resp.Patches)
	}
}

func TestHandlerResponseSurvivesTheWire(t *testing.T) {
	// Through admission.Webhook the patch is serialised as the API server
	// will read it: a base64 JSONPatch with patchType set.
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(world()...).Build()
	wh := &admission.Webhook{Handler: NewHandler(c)}
	req := podCreate(`{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`)
	resp := wh.Handle(context.Background(), req)
	if resp.UID != req.UID {
		t.Errorf("response UID %q, want %q", resp.UID, req.UID)
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patchType = %v, want JSONPatch", resp.PatchType)
	}
	want := `[{"op":"add","path":"/spec/readinessGates","value":[{"conditionType":"target-health.elbv2.tgc.dev/web-tg"}]}]`
	if string(resp.Patch) != want {
		t.Fatalf("patch = %s, want %s", resp.Patch, want)
	}
}
