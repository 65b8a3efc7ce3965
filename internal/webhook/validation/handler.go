package validation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings;targetgrouppolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// checker reads what Check needs through the manager's cache, so that an
// admission request costs no call to the API server.
type checker struct {
	reader client.Reader
	home   Home
}

func (c checker) check(ctx context.Context, b *v1alpha1.TargetGroupBinding) (Verdict, error) {
	var bindings v1alpha1.TargetGroupBindingList
	if err := c.reader.List(ctx, &bindings); err != nil {
		return Verdict{}, fmt.Errorf("listing TargetGroupBindings: %w", err)
	}
	var policies v1alpha1.TargetGroupPolicyList
	if err := c.reader.List(ctx, &policies); err != nil {
		return Verdict{}, fmt.Errorf("listing TargetGroupPolicies: %w", err)
	}
	in := Input{Binding: b, Others: bindings.Items, Policies: policies.Items}
	if len(policies.Items) > 0 {
		ns := &corev1.Namespace{}
		if err := c.reader.Get(ctx, types.NamespacedName{Name: b.Namespace}, ns); err != nil {
			return Verdict{}, fmt.Errorf("reading namespace %s: %w", b.Namespace, err)
		}
		in.NamespaceLabels = ns.Labels
	}
	return Check(c.home, in), nil
}

// respond turns a verdict into an answer; what refused it is prefixed by
// what was checked, e.g. "Service shop/web would create binding web-tgc: ".
func respond(what string, v Verdict) admission.Response {
	if !v.Allowed() {
		return admission.Denied(what + strings.Join(v.Refusals, "; ")).WithWarnings(v.Warnings...)
	}
	return admission.Allowed("").WithWarnings(v.Warnings...)
}

// BindingHandler validates TargetGroupBindings at create and update.
type BindingHandler struct{ checker }

var _ admission.Handler = (*BindingHandler)(nil)

// NewBindingHandler returns the handler; pass the manager's cached client.
func NewBindingHandler(reader client.Reader, home Home) *BindingHandler {
	return &BindingHandler{checker{reader: reader, home: home}}
}

// Handle checks a binding whose spec is new. An update that leaves the spec
// alone (labels, finalizers, a deletion in progress) is allowed: refusing
// it would keep a binding that was admitted while the webhook was down from
// ever being cleaned up, and the controller already refuses it at sync.
func (h *BindingHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.SubResource != "" || (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) {
		return admission.Allowed("")
	}
	b := &v1alpha1.TargetGroupBinding{}
	if err := json.Unmarshal(req.Object.Raw, b); err != nil {
		return admission.Errored(400, fmt.Errorf("decoding the TargetGroupBinding: %w", err))
	}
	if b.Namespace == "" {
		b.Namespace = req.Namespace
	}
	if req.Operation == admissionv1.Update {
		old := &v1alpha1.TargetGroupBinding{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return admission.Errored(400, fmt.Errorf("decoding the old TargetGroupBinding: %w", err))
		}
		if !b.DeletionTimestamp.IsZero() || equality.Semantic.DeepEqual(old.Spec, b.Spec) {
			return admission.Allowed("spec unchanged")
		}
	}
	v, err := h.check(ctx, b)
	if err != nil {
		log.FromContext(ctx).Error(err, "Validating TargetGroupBinding", "binding", klog.KObj(b))
		return admission.Errored(500, err)
	}
	return respond("", v)
}

// ServiceHandler validates Services that carry tgc's annotations, checking
// the binding the annotation would create (ServiceBindingName in the
// Service's namespace). Only an admission webhook sees the edit of the
// user who made it; the controller creates the binding with its own rights.
type ServiceHandler struct{ checker }

var _ admission.Handler = (*ServiceHandler)(nil)

// NewServiceHandler returns the handler; pass the manager's cached client.
func NewServiceHandler(reader client.Reader, home Home) *ServiceHandler {
	return &ServiceHandler{checker{reader: reader, home: home}}
}

// Handle answers quickly for every Service whose tgc annotations did not
// just appear or change: the namespaceSelector cannot see annotations and
// matchConditions may be missing from a hand-made configuration, so most
// Services of an opted-in namespace reach the handler.
func (h *ServiceHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.SubResource != "" || (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) {
		return admission.Allowed("")
	}
	var svc metav1.PartialObjectMetadata
	if err := json.Unmarshal(req.Object.Raw, &svc); err != nil {
		return admission.Errored(400, fmt.Errorf("decoding the Service: %w", err))
	}
	arn := svc.Annotations[v1alpha1.AnnotationTargetGroupARN]
	if arn == "" {
		return admission.Allowed("no tgc annotation")
	}
	if req.Operation == admissionv1.Update {
		var old metav1.PartialObjectMetadata
		if err := json.Unmarshal(req.OldObject.Raw, &old); err != nil {
			return admission.Errored(400, fmt.Errorf("decoding the old Service: %w", err))
		}
		// An unchanged annotation was checked when it was set; refusing
		// every later edit of the Service would block deploys for what the
		// controller already reports on the binding.
		if old.Annotations[v1alpha1.AnnotationTargetGroupARN] == arn {
			return admission.Allowed("tgc annotation unchanged")
		}
	}
	namespace := req.Namespace
	name := v1alpha1.ServiceBindingName(req.Name)
	b, err := h.bindingFor(ctx, namespace, name)
	if err != nil {
		log.FromContext(ctx).Error(err, "Validating Service", "service", klog.KRef(namespace, req.Name))
		return admission.Errored(500, err)
	}
	b.Spec.TargetGroupARN = arn
	b.Spec.TargetGroupName = ""
	v, err := h.check(ctx, b)
	if err != nil {
		log.FromContext(ctx).Error(err, "Validating Service", "service", klog.KRef(namespace, req.Name))
		return admission.Errored(500, err)
	}
	return respond(fmt.Sprintf("annotation %s would bind Service %s/%s through TargetGroupBinding %s: ", v1alpha1.AnnotationTargetGroupARN, namespace, req.Name, name), v)
}

// bindingFor is the Service's existing binding, which keeps its place (and
// any group it holds) when the annotation changes, or a new one.
func (h *ServiceHandler) bindingFor(ctx context.Context, namespace, name string) (*v1alpha1.TargetGroupBinding, error) {
	b := &v1alpha1.TargetGroupBinding{}
	err := h.reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, b)
	if client.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("reading TargetGroupBinding %s/%s: %w", namespace, name, err)
	}
	if err != nil {
		b = &v1alpha1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, CreationTimestamp: metav1.Now()}}
	}
	return b, nil
}
