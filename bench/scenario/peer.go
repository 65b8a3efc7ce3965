package scenario

import (
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/test/peer"
)

// startPeer runs the peer against the scenario's control plane and
// emulator, and returns the flags it runs with.
func startPeer(b peer.Build, logPath string, e *env) (*controller, []string, error) {
	p, err := peer.Start(b, peer.Options{
		Kubeconfig: e.cluster.Kubeconfig, EmulatorURL: e.emu.URL(), Region: region, VPC: defaultVPC, LogPath: logPath,
	})
	if err != nil {
		return nil, nil, err
	}
	return &controller{Process: p.Process}, p.Args, nil
}

// peerBinding is the peer's binding for a Service's port 80.
func peerBinding(name, service, group string) client.Object {
	return peer.Binding(namespace, name, service, 80, group)
}

// tgcBinding is tgc's binding for the same Service, with its defaults:
// only addresses of the Pods the endpoints name become targets.
func tgcBinding(name, service, group string) client.Object {
	return &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: group,
			ServiceRef:     v1alpha1.ServiceReference{Name: service, Port: intstr.FromInt32(80)},
		},
	}
}
