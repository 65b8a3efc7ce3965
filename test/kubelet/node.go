package kubelet

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// registerNode creates the Node (or takes over an existing one of the same
// name) and marks it Ready. The EndpointSlice controller skips pods whose
// node does not exist, so this must happen before any pod runs.
func (k *Kubelet) registerNode(ctx context.Context) error {
	lbls := map[string]string{
		corev1.LabelHostname:   k.cfg.NodeName,
		corev1.LabelOSStable:   runtime.GOOS,
		corev1.LabelArchStable: runtime.GOARCH,
	}
	if k.cfg.Zone != "" {
		lbls[corev1.LabelTopologyZone] = k.cfg.Zone
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName, Labels: lbls},
		Spec: corev1.NodeSpec{
			PodCIDR:    k.cfg.podCIDRs()[0],
			PodCIDRs:   k.cfg.podCIDRs(),
			ProviderID: providerID(k.cfg.Zone, k.cfg.InstanceID),
		},
	}
	_, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("registering node %s: %w", k.cfg.NodeName, err)
	}
	if err := k.updateNodeStatus(ctx); err != nil {
		return err
	}
	return k.clearNotReadyTaint(ctx)
}

// clearNotReadyTaint removes the node.kubernetes.io/not-ready:NoSchedule
// taint the API server puts on a new Node (TaintNodesByCondition), as the
// node lifecycle controller does once the node reports Ready; the test
// cluster runs no such controller, and a scheduler would otherwise keep
// every pod off the node.
func (k *Kubelet) clearNotReadyTaint(ctx context.Context) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := k.client.CoreV1().Nodes().Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading node %s: %w", k.cfg.NodeName, err)
		}
		kept := slices.DeleteFunc(slices.Clone(node.Spec.Taints), func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeNotReady })
		if len(kept) == len(node.Spec.Taints) {
			return nil
		}
		node.Spec.Taints = kept
		if _, err := k.client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("removing the not-ready taint of node %s: %w", k.cfg.NodeName, err)
		}
		return nil
	})
}

func (k *Kubelet) updateNodeStatus(ctx context.Context) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := k.client.CoreV1().Nodes().Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading node %s: %w", k.cfg.NodeName, err)
		}
		now := apiTime(k.cfg.Clock.Now())
		node.Status.Conditions = nodeConditions(node.Status.Conditions, now)
		node.Status.Addresses = []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: k.cfg.NodeIP.String()},
			{Type: corev1.NodeHostName, Address: k.cfg.NodeName},
		}
		capacity := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("8"),
			corev1.ResourceMemory: resource.MustParse("32Gi"),
			corev1.ResourcePods:   resource.MustParse("1000"),
		}
		node.Status.Capacity = capacity
		node.Status.Allocatable = capacity
		node.Status.NodeInfo.KubeletVersion = "v0.0.0-loopback"
		node.Status.NodeInfo.OperatingSystem = runtime.GOOS
		node.Status.NodeInfo.Architecture = runtime.GOARCH
		node.Status.NodeInfo.ContainerRuntimeVersion = "loopback://0"
		if _, err := k.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating status of node %s: %w", k.cfg.NodeName, err)
		}
		return nil
	})
}

// nodeConditions are those of a healthy node, with the heartbeat refreshed.
func nodeConditions(current []corev1.NodeCondition, now metav1.Time) []corev1.NodeCondition {
	want := []corev1.NodeCondition{
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
	}
	for i := range want {
		want[i].LastHeartbeatTime = now
		want[i].LastTransitionTime = now
		for _, c := range current {
			if c.Type == want[i].Type && c.Status == want[i].Status {
				want[i].LastTransitionTime = c.LastTransitionTime
			}
		}
	}
	return want
}
