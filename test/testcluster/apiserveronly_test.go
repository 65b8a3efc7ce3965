package testcluster

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestAPIServerOnlyServesTheAPIWithoutControllersOrKubeletAndAWiderServiceRangeAndSurvivesARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{APIServerOnly: true, ServiceClusterIPRange: "10.96.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop()
		}
	}()
	if c.cm != nil {
		t.Error("an API-server-only cluster started kube-controller-manager")
	}
	if c.Kubelet != nil {
		t.Error("an API-server-only cluster started a kubelet")
	}
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 0 {
		t.Errorf("%d Nodes registered, want none without a kubelet", len(nodes.Items))
	}
	// The API accepts the objects a benchmark writes in the controllers'
	// place.
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
	}
	if _, err := c.Client.DiscoveryV1().EndpointSlices("default").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating an EndpointSlice: %v", err)
	}
	// The wider Service range gives out addresses beyond envtest's /24.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}
	created, err := c.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a Service: %v", err)
	}
	if ip := net.ParseIP(created.Spec.ClusterIP); ip == nil || !strings.HasPrefix(created.Spec.ClusterIP, "10.96.") {
		t.Errorf("cluster IP %q is not in the configured range 10.96.0.0/16", created.Spec.ClusterIP)
	}
	if tail := c.ControllerManagerLogTail(100); tail != "" {
		t.Errorf("controller-manager log tail = %q, want empty", tail)
	}
	// A restarted kube-apiserver keeps its port, certificates and data:
	// the same client reads what it wrote before.
	down, err := c.RestartAPIServer(5 * time.Second)
	if err != nil {
		t.Fatalf("RestartAPIServer: %v", err)
	}
	t.Logf("kube-apiserver restarted in %s", down.Round(time.Millisecond))
	if _, err := c.Client.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Errorf("reading the Service after a kube-apiserver restart: %v", err)
	}
	apiserver, err := url.Parse(c.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !refused(t, apiserver.Host) {
		t.Errorf("kube-apiserver still accepts connections on %s", apiserver.Host)
	}
}
