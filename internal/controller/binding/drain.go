package binding

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// ReasonDeregistrationDelayChanged is the Event tgc emits on a binding with
// drain.inject when its target group's deregistration delay changes: new
// pods get drain settings sized from the new delay, the running ones keep
// the old settings until they are replaced.
const ReasonDeregistrationDelayChanged = "DeregistrationDelayChanged"

// recordDelay writes the group's deregistration delay into the binding's
// status, where every replica's pod webhook reads it: the webhook never asks
// AWS, so that an admission never waits for it and a standby replica, which
// has no view of the groups, answers the same. When the delay changed, the
// Event names the workloads whose pods were sized from another delay.
func (c *Controller) recordDelay(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, delay time.Duration, pods map[types.UID]targets.PodEndpoint) {
	secs := int32(delay / time.Second)
	prev := tgb.Status.DeregistrationDelaySeconds
	tgb.Status.DeregistrationDelaySeconds = &secs
	if prev == nil || *prev == secs || !tgb.Spec.Drain.Injects() {
		return
	}
	stale := c.staleDrains(ctx, tgb.Namespace, pods, secs)
	log.FromContext(ctx).Info("deregistration delay changed; new pods get drain settings sized from it",
		"targetGroupARN", tgb.Status.TargetGroupARN, "from", *prev, "to", secs, "workloadsWithOldSettings", stale)
	note := fmt.Sprintf("target group %s's deregistration delay changed from %ds to %ds; pods created from now on get a preStop and grace period sized from %ds.",
		tgb.Status.TargetGroupARN, *prev, secs, secs)
	if len(stale) == 0 {
		note += " No running pod of the binding was sized from another delay."
	} else {
		note += fmt.Sprintf(" Still running with settings sized from another delay: %s. Restart them (kubectl rollout restart) to apply the new figures", strings.Join(stale, ", "))
	}
	c.event(tgb, false, ReasonDeregistrationDelayChanged, "RecordDelay", "%s", note)
}

// staleDrains names the workloads (with a pod count) whose live pods carry a
// drain record of another delay than secs.
func (c *Controller) staleDrains(ctx context.Context, namespace string, pods map[types.UID]targets.PodEndpoint, secs int32) []string {
	count := map[string]int{}
	for uid, ep := range pods {
		if ep.Terminating {
			continue
		}
		pod := &corev1.Pod{}
		if err := c.kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ep.Name}, pod); err != nil || pod.UID != uid {
			continue
		}
		rec, ok := drainRecord(pod)
		if !ok || rec.DeregistrationDelaySeconds == secs {
			continue
		}
		wl := c.workloadOf(ctx, pod)
		count[fmt.Sprintf("%s/%s (%ds)", wl.Kind, wl.Name, rec.DeregistrationDelaySeconds)]++
	}
	out := make([]string, 0, len(count))
	for w, n := range count {
		out = append(out, fmt.Sprintf("%s: %d pods", w, n))
	}
	slices.Sort(out)
	return out
}

// drainRecord reads the webhook's annotation from a pod.
func drainRecord(pod *corev1.Pod) (v1alpha1.DrainRecord, bool) {
	var rec v1alpha1.DrainRecord
	v, ok := pod.Annotations[v1alpha1.AnnotationDrain]
	if !ok || json.Unmarshal([]byte(v), &rec) != nil {
		return rec, false
	}
	return rec, true
}
