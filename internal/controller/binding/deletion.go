package binding

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// observeDeletions measures, for each deregistered target whose pod is
// being deleted, the time from the deletion request to the
// DeregisterTargets that removed it: the metric that must stay well below
// the pods' preStop sleep. It runs after the write, so it delays nothing.
// The EndpointSlice can say "terminating" before the pod cache has seen the
// pod's deletionTimestamp; then the pod is read from the API server, so
// that the measurement does not depend on which informer came first.
func (c *Controller) observeDeletions(ctx context.Context, namespace string, pods map[types.UID]targets.PodEndpoint, done []targets.Target, at time.Time) {
	if len(done) == 0 {
		return
	}
	leaving := keyset(done)
	for uid, ep := range pods {
		if !ep.Terminating || !leaving[ep.Target.Key()] {
			continue
		}
		key := types.NamespacedName{Namespace: namespace, Name: ep.Name}
		pod := &corev1.Pod{}
		if err := c.kube.Get(ctx, key, pod); err != nil || pod.UID != uid {
			continue
		}
		if pod.DeletionTimestamp == nil && c.cfg.APIReader != nil {
			if err := c.cfg.APIReader.Get(ctx, key, pod); err != nil || pod.UID != uid {
				continue
			}
		}
		if start, ok := DeletionRequested(pod); ok {
			c.metrics.deletionToDeregistered.Observe(at.Sub(start).Seconds())
		}
	}
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
