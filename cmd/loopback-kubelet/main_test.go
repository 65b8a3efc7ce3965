package main

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

func TestBinaryJoinsAClusterAndRunsItsPods(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	c := harness.Cluster(t, testcluster.Options{NoKubelet: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--kubeconfig", c.Kubeconfig, "--node-name", "standalone", "--max-probe-period", "200ms"})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	ns := harness.Namespace(t, c)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "example.com/hello", Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *corev1.Pod
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "hello", metav1.GetOptions{})
		if err == nil && p.Spec.NodeName == "standalone" && p.Status.PodIP != "" && isReady(p) {
			got = p
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod never became Ready on node standalone: %+v, %v", p, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	ip := netip.MustParseAddr(got.Status.PodIP)
	// The default mapping: 10.244.a.b serves on 127.244.a.b.
	loopback := netip.AddrFrom4([4]byte{127, 244, ip.As4()[2], ip.As4()[3]})
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Get("http://" + netip.AddrPortFrom(loopback, 8080).String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "pod="+ns+"/hello") {
		t.Errorf("pod answered %d %q", resp.StatusCode, body)
	}
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
