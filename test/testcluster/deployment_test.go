package testcluster

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDeploymentBehindServiceGetsThreeReadyEndpointsThatAnswerHTTP(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Services(ns).Create(ctx, webService("web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, webDeployment("web", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var ready int
	eventually(t, 30*time.Second, "3 ready endpoints", func(ctx context.Context) (bool, error) {
		eps, err := readyEndpoints(ctx, c, ns, "web")
		ready = len(eps)
		return ready == 3, err
	})
	t.Logf("3 ready endpoints %s after creating the Deployment", time.Since(start).Round(time.Millisecond))

	eps, err := readyEndpoints(ctx, c, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ep := range eps {
		ip := ep.Addresses[0]
		if seen[ip] {
			t.Errorf("pod IP %s appears twice", ip)
		}
		seen[ip] = true
		if ep.NodeName == nil || *ep.NodeName != c.Kubelet.NodeName() {
			t.Errorf("endpoint %s is on node %v, want %s", ip, ep.NodeName, c.Kubelet.NodeName())
		}
		code, body, err := getPod(c, ip, appPort)
		if err != nil {
			t.Errorf("GET on endpoint %s: %v", ip, err)
			continue
		}
		if code != 200 || !strings.Contains(body, "pod="+ns+"/"+ep.TargetRef.Name) || !strings.Contains(body, "ip="+ip) {
			t.Errorf("endpoint %s (pod %s) answered %d %q", ip, ep.TargetRef.Name, code, body)
		}
	}

	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodRunning || p.Status.StartTime == nil || p.Status.HostIP == "" || len(p.Status.ContainerStatuses) != 1 {
			t.Errorf("pod %s status is not what a kubelet reports: %+v", p.Name, p.Status)
		}
		for _, cond := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
			if podCondition(&p, cond) != corev1.ConditionTrue {
				t.Errorf("pod %s condition %s = %q, want True", p.Name, cond, podCondition(&p, cond))
			}
		}
	}
}
