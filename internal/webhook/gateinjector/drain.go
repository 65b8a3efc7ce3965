package gateinjector

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/drain"
)

// Drain is how the handler sizes pods' drains for bindings with
// drain.inject: true.
type Drain struct {
	Margins drain.Margins
	// Events receives an Event on the binding for every pod whose drain
	// could not be sized, or whose own preStop is too short; nil sends none.
	Events events.EventRecorder
}

// DrainSources returns, for the bindings that opted in to drain sizing and
// whose Service selects the pod, the Service port each binds. Bindings being
// deleted are left out, as are those of targetType instance: their targets
// are nodes, which kube-proxy drains, not the pod.
func DrainSources(in Input) []drain.Source {
	if in.NamespaceLabels[v1alpha1.ReadinessGateInjectLabel] != v1alpha1.ReadinessGateInjectEnabled {
		return nil
	}
	services := map[string]Service{}
	for _, s := range in.Services {
		if selects(s.Selector, in.PodLabels) {
			services[s.Name] = s
		}
	}
	var out []drain.Source
	for _, b := range in.Bindings {
		svc, ok := services[b.ServiceName]
		if !b.Drain || b.Deleting || b.Instance || !ok {
			continue
		}
		sp, ok := drain.ServicePort(svc.Ports, b.ServicePort)
		if !ok {
			// The binding's Ready condition says PortNotFound already.
			continue
		}
		out = append(out, drain.Source{Binding: b.Name, ServicePort: sp, Delay: b.Delay})
	}
	return out
}

// sizeDrain decides the pod's drain, tells the user about every problem
// (Event on the binding, log line, admission warning) and returns the
// patch. A pod that carries the drain annotation already was sized in an
// earlier call (the webhook is reinvoked when a later webhook changes the
// pod) and is left alone.
func (h *Handler) sizeDrain(ctx context.Context, namespace string, pod *corev1.Pod, in Input) ([]jsonpatch.JsonPatchOperation, []string) {
	if _, done := pod.Annotations[v1alpha1.AnnotationDrain]; done {
		return nil, nil
	}
	sources := DrainSources(in)
	if len(sources) == 0 {
		return nil, nil
	}
	plan, problems := drain.Decide(pod, sources, h.drain.Margins)
	var warnings []string
	who := podName(pod)
	for _, p := range problems {
		log.FromContext(ctx).Info("Drain not sized as asked", "pod", klog.KRef(namespace, who), "binding", klog.KRef(namespace, p.Binding), "reason", p.Reason, "message", p.Message)
		warnings = append(warnings, fmt.Sprintf("tgc drain (binding %s): %s", p.Binding, p.Message))
		h.bindingEvent(ctx, namespace, p.Binding, p.Reason, "pod %s: %s", who, p.Message)
	}
	if plan.Empty() {
		return nil, warnings
	}
	ops, err := drainPatch(pod, plan)
	if err != nil {
		log.FromContext(ctx).Error(err, "Encoding the drain record; admitting the pod without drain settings", "pod", klog.KRef(namespace, who))
		return nil, append(warnings, fmt.Sprintf("tgc could not size the pod's drain: %v", err))
	}
	log.FromContext(ctx).V(1).Info("Sizing drain", "pod", klog.KRef(namespace, who), "record", plan.Record)
	return ops, warnings
}

// bindingEvent records a Warning Event on the binding, read from the cache
// so that the Event names its UID.
func (h *Handler) bindingEvent(ctx context.Context, namespace, name, reason, note string, args ...any) {
	if h.drain.Events == nil {
		return
	}
	var b v1alpha1.TargetGroupBinding
	if err := h.reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &b); err != nil {
		return
	}
	h.drain.Events.Eventf(&b, nil, corev1.EventTypeWarning, reason, "SizeDrain", note, args...)
}

// podName names a pod at admission, when a pod of a workload has only its
// generateName.
func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName + "*"
}

// drainPatch builds the JSON patch by hand, as gatePatch does, so that pod
// fields newer than this binary's k8s.io/api survive. The preStop is
// Kubernetes' own sleep action (KEP-3960), so that no image needs a sleep
// binary.
func drainPatch(pod *corev1.Pod, plan drain.Plan) ([]jsonpatch.JsonPatchOperation, error) {
	record, err := json.Marshal(plan.Record)
	if err != nil {
		return nil, fmt.Errorf("encoding the drain record: %w", err)
	}
	var ops []jsonpatch.JsonPatchOperation
	for _, i := range slices.Sorted(maps.Keys(plan.PreStop)) {
		preStop := &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: plan.PreStop[i]}}
		base := "/spec/containers/" + strconv.Itoa(i)
		if pod.Spec.Containers[i].Lifecycle == nil {
			ops = append(ops, jsonpatch.JsonPatchOperation{Operation: "add", Path: base + "/lifecycle", Value: corev1.Lifecycle{PreStop: preStop}})
		} else {
			ops = append(ops, jsonpatch.JsonPatchOperation{Operation: "add", Path: base + "/lifecycle/preStop", Value: preStop})
		}
	}
	if plan.Grace != nil {
		// "add" on an existing member replaces it (RFC 6902, 4.1).
		ops = append(ops, jsonpatch.JsonPatchOperation{Operation: "add", Path: "/spec/terminationGracePeriodSeconds", Value: *plan.Grace})
	}
	if pod.Annotations == nil {
		ops = append(ops, jsonpatch.JsonPatchOperation{Operation: "add", Path: "/metadata/annotations", Value: map[string]string{v1alpha1.AnnotationDrain: string(record)}})
	} else {
		key := strings.NewReplacer("~", "~0", "/", "~1").Replace(v1alpha1.AnnotationDrain)
		ops = append(ops, jsonpatch.JsonPatchOperation{Operation: "add", Path: "/metadata/annotations/" + key, Value: string(record)})
	}
	return ops, nil
}
