package kubelet

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// PreStop is how long the loopback kubelet runs pod's preStop hooks before
// it signals the app, the longest of its containers' hooks; hooks it cannot
// run count as none, as it skips them. A recorder of a rollout uses it to
// draw the preStop window the kubelet does not report in the pod's status.
func PreStop(pod *corev1.Pod) time.Duration {
	d, _ := podPreStop(pod)
	return d
}
