package gateinjector

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Handler adds tgc's readiness gates to pods at creation. It implements
// admission.Handler.
type Handler struct {
	reader client.Reader
	drain  Drain
}

var _ admission.Handler = (*Handler)(nil)

// NewHandler returns a Handler that reads namespaces, Services and
// TargetGroupBindings through reader. Pass the manager's cached client: the
// handler runs on every pod creation in opted-in namespaces and must answer
// well inside the webhook's timeoutSeconds.
func NewHandler(reader client.Reader) *Handler {
	return &Handler{reader: reader}
}

// WithDrain has the handler also size the drain of pods whose bindings set
// drain.inject: true.
func (h *Handler) WithDrain(d Drain) *Handler {
	h.drain = d
	return h
}

// Handle answers one admission request. It never denies: a failure to decide
// returns "allowed" with a warning. failurePolicy: Ignore only covers calls
// that fail; an explicit denial (such as admission.Errored) would block the
// pod, so the handler must not produce one.
func (h *Handler) Handle(ctx context.Context, req admission.Request) (resp admission.Response) {
	logger := log.FromContext(ctx)
	defer func() {
		// controller-runtime turns a recovered panic into a denial; recover
		// here first so that a bug costs a gate, not a pod.
		if r := recover(); r != nil {
			logger.Error(fmt.Errorf("panic: %v", r), "Readiness gate injection panicked; admitting pod unchanged")
			resp = allowUnchanged(fmt.Sprintf("tgc readiness gate injection failed: %v", r))
		}
	}()

	if req.Operation != admissionv1.Create || req.Resource.Resource != "pods" || req.SubResource != "" {
		return admission.Allowed("not a pod creation")
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		logger.Error(err, "Decoding pod; admitting it unchanged")
		return allowUnchanged(fmt.Sprintf("tgc could not decode the pod to add readiness gates: %v", err))
	}
	// A pod being created may not have its namespace set in the body; the
	// request's namespace is authoritative.
	namespace := req.Namespace
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		// The kubelet runs a static pod from its manifest and ignores the
		// API object's spec, so a gate on the mirror pod could never pass.
		return admission.Allowed("mirror pod")
	}

	in, err := gather(ctx, h.reader, namespace, &pod, nil)
	if err != nil {
		logger.Error(err, "Reading what selects the pod; admitting it without readiness gates", "namespace", klog.KRef("", namespace))
		return allowUnchanged(fmt.Sprintf("tgc could not add readiness gates: %v", err))
	}
	var ops []jsonpatch.JsonPatchOperation
	if add := GatesToAdd(in); len(add) > 0 {
		logger.V(1).Info("Adding readiness gates", "namespace", klog.KRef("", namespace), "gates", add)
		ops = gatePatch(pod.Spec.ReadinessGates, add)
	}
	drainOps, warnings := h.sizeDrain(ctx, namespace, &pod, in)
	ops = append(ops, drainOps...)
	if len(ops) == 0 {
		return admission.Allowed("no TargetGroupBinding selects this pod").WithWarnings(warnings...)
	}
	return admission.Patched("added tgc readiness gates and drain settings", ops...).WithWarnings(warnings...)
}

// gather reads the decision's input from the pod's namespace: the
// namespace's labels, its bindings (those keep accepts, all when nil) and
// its Services. The namespace label is checked here as well as in the
// webhook's namespaceSelector, so that a configuration without the selector
// still injects only where asked.
func gather(ctx context.Context, reader client.Reader, namespace string, pod *corev1.Pod, keep func(*v1alpha1.TargetGroupBinding) bool) (Input, error) {
	var ns corev1.Namespace
	if err := reader.Get(ctx, client.ObjectKey{Name: namespace}, &ns); err != nil {
		return Input{}, fmt.Errorf("getting namespace %s: %w", namespace, err)
	}
	in := Input{NamespaceLabels: ns.Labels, PodLabels: pod.Labels, PodGates: pod.Spec.ReadinessGates}
	if ns.Labels[v1alpha1.ReadinessGateInjectLabel] != v1alpha1.ReadinessGateInjectEnabled {
		return in, nil
	}
	bindings, err := listBindings(ctx, reader, namespace, keep)
	if err != nil {
		return Input{}, err
	}
	if len(bindings) == 0 {
		return in, nil
	}
	in.Bindings = bindings
	var services corev1.ServiceList
	if err := reader.List(ctx, &services, client.InNamespace(namespace)); err != nil {
		return Input{}, fmt.Errorf("listing services in %s: %w", namespace, err)
	}
	for _, svc := range services.Items {
		in.Services = append(in.Services, Service{Name: svc.Name, Selector: svc.Spec.Selector, Ports: svc.Spec.Ports})
	}
	return in, nil
}

// gatePatch builds the JSON patch by hand rather than diffing a re-encoded
// pod (admission.PatchResponseFromRaw): a diff would emit "remove" for any
// pod field newer than the k8s.io/api this binary is built with, silently
// stripping it from the user's pod.
func gatePatch(existing, add []corev1.PodReadinessGate) []jsonpatch.JsonPatchOperation {
	if len(existing) == 0 {
		return []jsonpatch.JsonPatchOperation{{Operation: "add", Path: "/spec/readinessGates", Value: add}}
	}
	ops := make([]jsonpatch.JsonPatchOperation, 0, len(add))
	for _, g := range add {
		ops = append(ops, jsonpatch.JsonPatchOperation{Operation: "add", Path: "/spec/readinessGates/-", Value: g})
	}
	return ops
}

// allowUnchanged admits the pod as it is and tells the client why it has no
// gate; the warning shows up in kubectl and in the ReplicaSet controller's
// logs.
func allowUnchanged(warning string) admission.Response {
	return admission.Allowed("").WithWarnings(warning)
}
