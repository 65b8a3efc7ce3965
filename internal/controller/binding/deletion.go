package binding

import (
	"context"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// deletionStarts finds, for the targets about to be deregistered, when the
// deletion of the pod behind each was requested, for the metric of pod
// deletion to DeregisterTargets done, which must stay well below the pods'
// preStop sleep. Pods already gone from the
// cache are skipped.
func (c *Controller) deletionStarts(ctx context.Context, namespace string, pods map[types.UID]targets.PodEndpoint, deregister []targets.Target) map[netip.AddrPort]time.Time {
	if len(deregister) == 0 {
		return nil
	}
	leaving := keyset(deregister)
	var out map[netip.AddrPort]time.Time
	for uid, ep := range pods {
		if !ep.Terminating || !leaving[ep.Target.Key()] {
			continue
		}
		pod := &corev1.Pod{}
		if err := c.kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ep.Name}, pod); err != nil || pod.UID != uid {
			continue
		}
		if t, ok := DeletionRequested(pod); ok {
			if out == nil {
				out = map[netip.AddrPort]time.Time{}
			}
			out[ep.Target.Key()] = t
		}
	}
	return out
}

// DeletionRequested is when the pod's deletion was asked for. On a graceful
// delete the API server sets deletionTimestamp to the request time plus the
// grace period (the time after which the kubelet may kill the pod), so the
// grace period is subtracted. The API keeps whole seconds, so the result is
// up to one second early and the metric over-reports by as much.
func DeletionRequested(pod *corev1.Pod) (time.Time, bool) {
	if pod.DeletionTimestamp == nil {
		return time.Time{}, false
	}
	t := pod.DeletionTimestamp.Time
	if g := pod.DeletionGracePeriodSeconds; g != nil {
		t = t.Add(-time.Duration(*g) * time.Second)
	}
	return t, true
}

func (c *Controller) observeDeregistered(batch []targets.Target, deleting map[netip.AddrPort]time.Time) {
	now := c.clock.Now()
	for _, t := range batch {
		if start, ok := deleting[t.Key()]; ok {
			c.metrics.deletionToDeregistered.Observe(now.Sub(start).Seconds())
		}
	}
}
