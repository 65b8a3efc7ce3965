package kubelet

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons and messages as the kubelet writes them
// (pkg/kubelet/status/generate.go), so that anything reading pod status
// sees what a real node would show.
const (
	reasonContainersNotReady     = "ContainersNotReady"
	reasonReadinessGatesNotReady = "ReadinessGatesNotReady"
	reasonPodCompleted           = "PodCompleted"
)

// podRuntime is what the kubelet knows about a pod that only it can know:
// its IP and the state of its (simulated) containers.
type podRuntime struct {
	// IP is the pod's IPv4 slot: what its servers listen on, mapped onto
	// loopback. PodIPs are the addresses it reports, one per family of
	// Config.IPFamilies; empty means IP alone.
	IP        netip.Addr
	PodIPs    []netip.Addr
	HostIP    netip.Addr
	StartedAt time.Time // the containers are running from this time on
	// Ready holds each container's readiness as its probe last decided it.
	Ready map[string]bool
	// FinishedAt is set once the app has exited after a graceful deletion.
	FinishedAt time.Time
}

func (rt podRuntime) terminated() bool { return !rt.FinishedAt.IsZero() }

// desiredStatus is pod.Status with every field the kubelet owns set from rt.
// Fields and conditions owned by others (readiness gate conditions, for
// one) are kept as they are.
func desiredStatus(pod *corev1.Pod, rt podRuntime, now time.Time) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	if s.StartTime == nil {
		t := apiTime(rt.StartedAt)
		s.StartTime = &t
	}
	s.HostIP = rt.HostIP.String()
	s.HostIPs = []corev1.HostIP{{IP: rt.HostIP.String()}}
	s.PodIP = rt.IP.String()
	s.PodIPs = []corev1.PodIP{{IP: rt.IP.String()}}
	if len(rt.PodIPs) > 0 {
		s.PodIP = rt.PodIPs[0].String()
		s.PodIPs = make([]corev1.PodIP, 0, len(rt.PodIPs))
		for _, ip := range rt.PodIPs {
			s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip.String()})
		}
	}
	s.QOSClass = qosClass(pod)

	var unready []string
	s.ContainerStatuses = make([]corev1.ContainerStatus, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		cs := containerStatus(pod, c, rt)
		if !cs.Ready {
			unready = append(unready, c.Name)
		}
		s.ContainerStatuses = append(s.ContainerStatuses, cs)
	}

	conds := []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
		{Type: corev1.PodReadyToStartContainers, Status: boolStatus(!rt.terminated())},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
	}
	containersReady := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionTrue}
	if rt.terminated() {
		s.Phase = corev1.PodSucceeded
		containersReady = corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: reasonPodCompleted}
	} else {
		s.Phase = corev1.PodRunning
		if len(unready) > 0 {
			containersReady = corev1.PodCondition{
				Type: corev1.ContainersReady, Status: corev1.ConditionFalse,
				Reason:  reasonContainersNotReady,
				Message: fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " ")),
			}
		}
	}
	conds = append(conds, containersReady, readyCondition(pod.Spec.ReadinessGates, s.Conditions, containersReady))
	for _, c := range conds {
		s.Conditions = setCondition(s.Conditions, c, now)
	}
	return s
}

// readyCondition computes the pod Ready condition exactly as the kubelet
// does (GeneratePodReadyCondition): Ready follows ContainersReady, and when
// the containers are ready it is True only if every readiness gate's
// condition exists and is True (KEP-580, "Pod Ready++").
func readyCondition(gates []corev1.PodReadinessGate, current []corev1.PodCondition, containersReady corev1.PodCondition) corev1.PodCondition {
	if containersReady.Status != corev1.ConditionTrue {
		return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: containersReady.Reason, Message: containersReady.Message}
	}
	var unready []string
	for _, g := range gates {
		i := slices.IndexFunc(current, func(c corev1.PodCondition) bool { return c.Type == g.ConditionType })
		switch {
		case i < 0:
			unready = append(unready, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType))
		case current[i].Status != corev1.ConditionTrue:
			unready = append(unready, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", g.ConditionType, current[i].Status))
		}
	}
	if len(unready) > 0 {
		return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: reasonReadinessGatesNotReady, Message: strings.Join(unready, ", ")}
	}
	return corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
}

// setCondition replaces or appends c, keeping lastTransitionTime when the
// status did not change, as the kubelet's status manager does.
func setCondition(conds []corev1.PodCondition, c corev1.PodCondition, now time.Time) []corev1.PodCondition {
	i := slices.IndexFunc(conds, func(x corev1.PodCondition) bool { return x.Type == c.Type })
	if i < 0 {
		c.LastTransitionTime = apiTime(now)
		return append(conds, c)
	}
	if conds[i].Status == c.Status {
		c.LastTransitionTime = conds[i].LastTransitionTime
		c.LastProbeTime = conds[i].LastProbeTime
	} else {
		c.LastTransitionTime = apiTime(now)
	}
	conds[i] = c
	return conds
}

func containerStatus(pod *corev1.Pod, c corev1.Container, rt podRuntime) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{
		Name:        c.Name,
		Image:       c.Image,
		ImageID:     c.Image,
		ContainerID: fmt.Sprintf("loopback://%s/%s", pod.UID, c.Name),
	}
	started := apiTime(rt.StartedAt)
	finished := apiTime(rt.FinishedAt)
	if i := slices.IndexFunc(pod.Status.ContainerStatuses, func(x corev1.ContainerStatus) bool { return x.Name == c.Name }); i >= 0 {
		prev := pod.Status.ContainerStatuses[i]
		if prev.State.Running != nil {
			started = prev.State.Running.StartedAt
		} else if prev.State.Terminated != nil {
			started, finished = prev.State.Terminated.StartedAt, prev.State.Terminated.FinishedAt
		}
	}
	if rt.terminated() {
		cs.State.Terminated = &corev1.ContainerStateTerminated{
			ExitCode: 0, Reason: "Completed", StartedAt: started, FinishedAt: finished,
			ContainerID: cs.ContainerID,
		}
		return cs
	}
	cs.State.Running = &corev1.ContainerStateRunning{StartedAt: started}
	t := true
	cs.Started = &t
	cs.Ready = rt.Ready[c.Name]
	return cs
}

// qosClass follows the API's rules closely enough for pods that set no
// resources (BestEffort) or set requests; the kubelet itself never changes it
// once set.
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	if pod.Status.QOSClass != "" {
		return pod.Status.QOSClass
	}
	for _, c := range pod.Spec.Containers {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			return corev1.PodQOSBurstable
		}
	}
	return corev1.PodQOSBestEffort
}

func boolStatus(b bool) corev1.ConditionStatus {
	if b {
		return corev1.ConditionTrue
	}
	return corev1.ConditionFalse
}

// apiTime is t as the API server stores it (whole seconds), so a status
// computed again from the same facts compares equal to the stored one and
// causes no write.
func apiTime(t time.Time) metav1.Time { return metav1.NewTime(t).Rfc3339Copy() }
