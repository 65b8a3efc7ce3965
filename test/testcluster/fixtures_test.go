package testcluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// appPort is where the test app's pods serve HTTP.
const appPort = int(AppContainerPort)

// webApp is the workload of these tests: the loopback app whose pods pass
// a readiness probe on /healthz once they listen.
func webApp(name string, replicas int32) App {
	return App{Name: name, Replicas: replicas, ReadinessProbe: true}
}

// podSpec is the app's pod, for tests that create pods directly.
func podSpec() corev1.PodSpec { return webApp("", 0).Deployment().Spec.Template.Spec }

func webDeployment(name string, replicas int32) *appsv1.Deployment {
	return webApp(name, replicas).Deployment()
}

func webService(name string) *corev1.Service { return webApp(name, 0).Service() }

// eventually polls cond until it reports done or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for {
		done, err := cond(ctx)
		if done {
			return
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readyEndpoints lists the ready endpoints of a Service across its slices.
func readyEndpoints(ctx context.Context, c *Cluster, ns, svc string) ([]discoveryv1.Endpoint, error) {
	slices, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, err
	}
	var ready []discoveryv1.Endpoint
	for _, s := range slices.Items {
		for _, ep := range s.Endpoints {
			if ptr.Deref(ep.Conditions.Ready, false) {
				ready = append(ready, ep)
			}
		}
	}
	return ready, nil
}

var plainHTTP = &http.Client{
	Timeout: 2 * time.Second,
	// Never through a proxy from the environment, and a fresh connection per
	// request so a closed server shows at once.
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

// getPod does a GET on the loopback address that podIP maps to.
func getPod(c *Cluster, podIP string, port int) (int, string, error) {
	ip, err := netip.ParseAddr(podIP)
	if err != nil {
		return 0, "", err
	}
	addr := c.Kubelet.LoopbackAddr(ip)
	if !addr.IsLoopback() {
		return 0, "", fmt.Errorf("pod IP %s maps to non-loopback %s", podIP, addr)
	}
	resp, err := plainHTTP.Get(fmt.Sprintf("http://%s/", netip.AddrPortFrom(addr, uint16(port))))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) corev1.ConditionStatus {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// newNamespace is harness.Namespace, which this package's tests cannot
// import (harness imports testcluster).
func newNamespace(t *testing.T, c *Cluster) string {
	t.Helper()
	ns, err := c.CreateNamespace(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNamespace(context.Background(), ns) })
	return ns
}
