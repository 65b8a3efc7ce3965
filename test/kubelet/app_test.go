package kubelet

import (
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/clock"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAppServesOnItsLoopbackAddress(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  "app",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 18080}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/ready", Port: intstr.FromString("http"),
			}}},
		}}},
	}
	loopback := netip.MustParseAddr("127.244.200.9")
	a := newApp(pod, netip.MustParseAddr("10.244.200.9"), loopback, clock.RealClock{})
	if err := a.listen(); err != nil {
		t.Fatal(err)
	}
	defer a.stop()

	code, body := get(t, "http://127.244.200.9:18080/anything")
	if code != http.StatusOK || !strings.Contains(body, "pod=shop/web-1 ip=10.244.200.9") {
		t.Errorf("GET /anything = %d %q", code, body)
	}

	a.setBehaviour(Behaviour{FailHealth: true})
	tests := map[string]struct {
		path string
		want int
	}{
		"readiness probe path fails": {"/ready", http.StatusServiceUnavailable},
		"/healthz fails":             {"/healthz", http.StatusServiceUnavailable},
		"other paths still answer":   {"/", http.StatusOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if code, _ := get(t, "http://127.244.200.9:18080"+tc.path); code != tc.want {
				t.Errorf("GET %s = %d, want %d", tc.path, code, tc.want)
			}
		})
	}

	url, err := probeTarget(pod.Spec.Containers[0], loopback)
	if err != nil || url != "http://127.244.200.9:18080/ready" {
		t.Errorf("probeTarget = %q, %v", url, err)
	}

	a.stop()
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	if resp, err := client.Get("http://127.244.200.9:18080/"); err == nil {
		resp.Body.Close()
		t.Error("stopped app still answers")
	}
}
