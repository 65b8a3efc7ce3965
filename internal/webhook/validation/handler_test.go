package validation

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func newClient(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&v1alpha1.TargetGroupBinding{}).WithInterceptorFuncs(funcs).Build()
}

func raw(t *testing.T, o any) runtime.RawExtension {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: b}
}

func request(t *testing.T, op admissionv1.Operation, resource, name string, obj, old any) admission.Request {
	r := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "req", Operation: op, Namespace: "shop", Name: name,
		Resource: metav1.GroupVersionResource{Resource: resource},
		Object:   raw(t, obj),
	}}
	if old != nil {
		r.OldObject = raw(t, old)
	}
	return r
}

// world: namespace shop (team b), a policy for team a, and a binding in
// another namespace holding arnWeb.
func world() []client.Object {
	holder := holding("web", "holder", arnWeb, false)
	return []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "b"}}},
		&teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"})[0],
		&holder,
	}
}

func TestBindingHandler(t *testing.T) {
	held := binding("shop", "new", arnWeb, "")
	elsewhere := binding("shop", "new", arnWest, "")
	deleting := held.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	deleting.Finalizers = []string{"x"}
	relabelled := held.DeepCopy()
	relabelled.Labels = map[string]string{"a": "b"}
	cases := map[string]struct {
		req     admission.Request
		allowed bool
		mention string
	}{
		"a new binding on a held group is refused, naming the holder": {
			req: request(t, admissionv1.Create, "targetgroupbindings", "new", held, nil), mention: "already bound by web/holder",
		},
		"a wrong-region ARN is refused": {
			req: request(t, admissionv1.Create, "targetgroupbindings", "new", elsewhere, nil), mention: "region us-west-2",
		},
		"an update that leaves the spec alone is allowed, so a refused binding can still be cleaned up": {
			req: request(t, admissionv1.Update, "targetgroupbindings", "new", relabelled, held), allowed: true,
		},
		"an update of a binding being deleted is allowed": {
			req: request(t, admissionv1.Update, "targetgroupbindings", "new", deleting, elsewhere), allowed: true,
		},
		"a status update is not checked": {
			req: func() admission.Request {
				r := request(t, admissionv1.Update, "targetgroupbindings", "new", held, elsewhere)
				r.SubResource = "status"
				return r
			}(), allowed: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp := NewBindingHandler(newClient(t, interceptor.Funcs{}, world()...), Home{Region: "us-east-1"}).Handle(context.Background(), tc.req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v (%v), want %v", resp.Allowed, resp.Result, tc.allowed)
			}
			if !tc.allowed && !strings.Contains(resp.Result.Message, tc.mention) {
				t.Errorf("message %q does not mention %q", resp.Result.Message, tc.mention)
			}
		})
	}
}

func TestBindingHandlerRefusesWhenItCannotRead(t *testing.T) {
	// failurePolicy: Fail covers a webhook that does not answer; a webhook
	// that answers without having read the bindings must not admit either.
	funcs := interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
		return errors.New("cache not synced")
	}}
	resp := NewBindingHandler(newClient(t, funcs), Home{}).Handle(context.Background(), request(t, admissionv1.Create, "targetgroupbindings", "new", binding("shop", "new", arnWeb, ""), nil))
	if resp.Allowed {
		t.Fatal("admitted a binding without reading the other bindings")
	}
}

func service(arn string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	if arn != "" {
		s.Annotations = map[string]string{v1alpha1.AnnotationTargetGroupARN: arn}
	}
	return s
}

func TestServiceHandler(t *testing.T) {
	// Any read fails: a Service the handler has to look into would be
	// refused, so an allowed answer proves it answered without reading.
	failing := interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return errors.New("must not read")
		},
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("must not read")
		},
	}
	cases := map[string]struct {
		req     admission.Request
		funcs   interceptor.Funcs
		allowed bool
		mention string
	}{
		"a Service without tgc's annotation is allowed without a read": {
			req: request(t, admissionv1.Create, "services", "web", service(""), nil), funcs: failing, allowed: true,
		},
		"an edit that keeps the annotation is allowed without a read": {
			req: request(t, admissionv1.Update, "services", "web", service(arnWeb), service(arnWeb)), funcs: failing, allowed: true,
		},
		"removing the annotation is allowed without a read": {
			req: request(t, admissionv1.Update, "services", "web", service(""), service(arnWeb)), funcs: failing, allowed: true,
		},
		"an annotation onto a held group in a namespace no policy allows is refused, naming the binding": {
			req: request(t, admissionv1.Create, "services", "web", service(arnWeb), nil), mention: "would bind Service shop/web through TargetGroupBinding web-tgc",
		},
		"an annotation set on an existing Service is checked": {
			req: request(t, admissionv1.Update, "services", "web", service(arnWeb), service("")), mention: "no TargetGroupPolicy lets namespace shop",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp := NewServiceHandler(newClient(t, tc.funcs, world()...), Home{}).Handle(context.Background(), tc.req)
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v (%v), want %v", resp.Allowed, resp.Result, tc.allowed)
			}
			if !tc.allowed && !strings.Contains(resp.Result.Message, tc.mention) {
				t.Errorf("message %q does not mention %q", resp.Result.Message, tc.mention)
			}
		})
	}
}

func TestServiceHandlerKeepsTheServicesOwnBindingsPlace(t *testing.T) {
	// The Service's binding already holds the group: re-annotating the
	// Service with the same group after a manual edit is no conflict with
	// itself.
	own := holding("shop", "web-tgc", arnWeb, false)
	c := newClient(t, interceptor.Funcs{}, &own)
	resp := NewServiceHandler(c, Home{}).Handle(context.Background(), request(t, admissionv1.Update, "services", "web", service(arnWeb), service("")))
	if !resp.Allowed {
		t.Fatalf("the Service's own binding was taken for a rival: %v", resp.Result)
	}
}
