package readinessgate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods/status,verbs=patch

// gatePatch is a strategic merge patch of the pod's status subresource.
// PodStatus.Conditions merges on type, so the patch touches only tgc's own
// condition and never races the kubelet's conditions. It carries
// metadata.uid: the API server refuses a patch whose uid differs from the
// stored object's (uid is immutable), so a pod deleted and recreated under
// the same name, as StatefulSets do, is never given the old pod's gate.
// This is how the kubelet's own status manager guards its patches.
type gatePatch struct {
	Metadata struct {
		UID types.UID `json:"uid"`
	} `json:"metadata"`
	Status struct {
		Conditions []corev1.PodCondition `json:"conditions"`
	} `json:"status"`
}

// SetCondition writes one gate condition on the pod. It returns
// replaced=true, and no error, when the pod is gone or is another pod now.
func SetCondition(ctx context.Context, kube client.Client, pod *corev1.Pod, c corev1.PodCondition) (replaced bool, err error) {
	var p gatePatch
	p.Metadata.UID = pod.UID
	p.Status.Conditions = []corev1.PodCondition{c}
	data, err := json.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("encoding gate patch: %w", err)
	}
	target := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name}}
	err = kube.Status().Patch(ctx, target, client.RawPatch(types.StrategicMergePatchType, data))
	switch {
	case err == nil:
		return false, nil
	case apierrors.IsNotFound(err), apierrors.IsConflict(err), uidRefused(err):
		return true, nil
	}
	return false, fmt.Errorf("setting condition %s on pod %s/%s: %w", c.Type, pod.Namespace, pod.Name, err)
}

// uidRefused reports the API server's answer to a patch whose metadata.uid
// is not the stored pod's: 422 Invalid, "metadata.uid: field is immutable".
func uidRefused(err error) bool {
	if !apierrors.IsInvalid(err) {
		return false
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == "metadata.uid" {
			return true
		}
	}
	return false
}
