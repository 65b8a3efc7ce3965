package testcluster

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The node's kube-proxy serves a Service's NodePort on the node's own
// address and forwards to its pods; with externalTrafficPolicy Local it
// answers the healthCheckNodePort with 200 while a ready pod runs on the
// node and 503 once none does, terminating ones included, while the
// NodePort keeps forwarding to a terminating pod that still serves.
func TestNodePortsAreServedOnTheNodesAddressAndHealthCheckNodePortFollowsLocalPods(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	ctx := context.Background()
	d := webDeployment("web", 1)
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(30))
	d.Spec.Template.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := webService("web")
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	// No cloud controller runs for this class; the API server still
	// allocates node ports and, with Local, a healthCheckNodePort.
	svc.Spec.LoadBalancerClass = ptr.To("tgc.dev/none")
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	svc, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node := c.Kubelet.NodeIP()
	nodePort := netip.AddrPortFrom(node, uint16(svc.Spec.Ports[0].NodePort))
	health := netip.AddrPortFrom(node, uint16(svc.Spec.HealthCheckNodePort))

	eventually(t, 30*time.Second, "the NodePort to reach the pod", func(context.Context) (bool, error) {
		code, body, err := get(nodePort)
		return code == 200 && strings.Contains(body, "pod="+ns+"/web-"), err
	})
	eventually(t, 10*time.Second, "the healthCheckNodePort to answer 200", func(context.Context) (bool, error) {
		code, body, err := get(health)
		return code == 200 && strings.Contains(body, `"localEndpoints":1`), err
	})

	// Scale to zero: the pod terminates and sleeps in its preStop.
	if _, err := c.Client.AppsV1().Deployments(ns).Patch(ctx, "web", "application/merge-patch+json", []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the healthCheckNodePort to answer 503", func(context.Context) (bool, error) {
		code, _, err := get(health)
		return code == 503, err
	})
	if code, body, err := get(nodePort); code != 200 || err != nil {
		t.Fatalf("NodePort while the only pod terminates and serves = %d %q %v, want the pod's answer", code, body, err)
	}
}

// get makes one request on a fresh connection.
func get(ap netip.AddrPort) (int, string, error) {
	resp, err := plainHTTP.Get(fmt.Sprintf("http://%s/", ap))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
