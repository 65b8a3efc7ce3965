package readinessgate

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// ReasonGateTimedOut is the reason of a gate set True because it waited
// longer than its binding's timeout under onTimeout: Ready, and of the
// Event that says so.
const ReasonGateTimedOut = "GateTimedOut"

// Policy is what a binding says about its gate's timeout, with the
// controller's defaults filled in.
type Policy struct {
	Timeout time.Duration
	// ReadyOnTimeout: the gate is set True once Timeout passes, instead of
	// holding the pod not-Ready.
	ReadyOnTimeout bool
}

// PolicyOf reads a binding's readinessGate, taking def (--gate-timeout)
// when it sets no timeout. The CRD schema refuses timeouts outside 1s..24h;
// a non-positive one that got past it anyway (an older CRD) falls back to
// def, so a gate is never released the instant it is created.
func PolicyOf(tgb *v1alpha1.TargetGroupBinding, def time.Duration) Policy {
	p := Policy{Timeout: def}
	rg := tgb.Spec.ReadinessGate
	if rg == nil {
		return p
	}
	if rg.Timeout != nil && rg.Timeout.Duration > 0 {
		p.Timeout = rg.Timeout.Duration
	}
	p.ReadyOnTimeout = rg.OnTimeout == v1alpha1.GateTimeoutReady
	return p
}

// Overdue reports whether a pending gate has waited past its timeout.
func (p Policy) Overdue(v Verdict, waited time.Duration) bool {
	return v.Pending && waited >= p.Timeout
}

// ApplyTimeout turns Decide's verdict for an overdue gate into the policy's
// answer. Hold keeps the verdict: the caller warns and counts. Ready
// replaces it with a True gate, reason GateTimedOut. Decide turns a True
// gate False again when the target is not (or no longer) registered, so a
// gate already released is kept as it is, message included: otherwise each
// poll would flap it False and True, or rewrite it with the ELB's reason of
// the moment and announce the release again.
func ApplyTimeout(v Verdict, pod *corev1.Pod, binding string, p Policy, waited time.Duration) Verdict {
	if !p.Overdue(v, waited) || !p.ReadyOnTimeout {
		return v
	}
	cur := podgate.GateCondition(pod, binding)
	if cur != nil && cur.Status == corev1.ConditionTrue && cur.Reason == ReasonGateTimedOut {
		return Verdict{Ready: true}
	}
	why := "no condition yet"
	if v.Set != nil {
		why = v.Set.Reason
	} else if cur != nil {
		why = cur.Reason
	}
	msg := fmt.Sprintf("target was not healthy within the binding's gate timeout %s (last state %s); set True because the binding has readinessGate.onTimeout: Ready", p.Timeout, why)
	return set(cur, binding, corev1.ConditionTrue, ReasonGateTimedOut, msg, false)
}

// noteTimedOut records a gate released by onTimeout: Ready, on the pod and
// its binding, and counts it with the other timeouts: the pod now serves
// although the load balancer never saw its target healthy.
func (c *Controller) noteTimedOut(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, pod *corev1.Pod, p Policy, waited time.Duration) {
	waited = waited.Round(time.Second)
	log.FromContext(ctx).Info("readiness gate set True after its timeout", "pod", klog.KObj(pod), "waited", waited, "timeout", p.Timeout)
	c.metrics.timeouts.WithLabelValues(tgb.Namespace, tgb.Name).Inc()
	const note = "readiness gate %s of pod %s is set True after waiting %s (the binding's timeout is %s) although its target is not healthy in %s, because the binding has readinessGate.onTimeout: Ready"
	args := []any{podgate.ConditionType(tgb.Name), pod.Name, waited, p.Timeout, tgb.Status.TargetGroupARN}
	c.events.Eventf(pod, tgb, corev1.EventTypeWarning, ReasonGateTimedOut, "SetReadinessGate", note, args...)
	c.events.Eventf(tgb, pod, corev1.EventTypeWarning, ReasonGateTimedOut, "SetReadinessGate", note, args...)
}
