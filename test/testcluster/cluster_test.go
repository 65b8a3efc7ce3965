package testcluster

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestKubeconfigWorksWithKubectlAndShowsTheReadyNode(t *testing.T) {
	c := sharedCluster(t)
	assets, err := Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(assets, "kubectl"), "--kubeconfig", c.Kubeconfig,
		"get", "node", c.Kubelet.NodeName(), "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "True" {
		t.Errorf("node Ready = %q, want True", got)
	}
	node, err := c.Client.CoreV1().Nodes().Get(context.Background(), c.Kubelet.NodeName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if node.Spec.PodCIDR != "10.244.0.0/16" || len(node.Status.Addresses) == 0 {
		t.Errorf("node spec/status incomplete: podCIDR=%q addresses=%v", node.Spec.PodCIDR, node.Status.Addresses)
	}
}

func refused(t *testing.T, hostport string) bool {
	t.Helper()
	conn, err := net.DialTimeout("tcp", hostport, time.Second)
	if err == nil {
		conn.Close()
		return false
	}
	return true
}

func TestStopEndsEveryProcessAndIsIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	c, err := Start(ctx, Options{NoKubelet: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started in %s", time.Since(start).Round(time.Millisecond))
	apiserver, err := url.Parse(c.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	etcd := c.env.ControlPlane.Etcd.URL.Host
	cmPID := c.cm.Pid()
	if c.Kubelet != nil {
		t.Error("NoKubelet cluster has a kubelet")
	}

	stopStart := time.Now()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stopped in %s", time.Since(stopStart).Round(time.Millisecond))
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if !refused(t, apiserver.Host) {
		t.Errorf("kube-apiserver still accepts connections on %s", apiserver.Host)
	}
	if !refused(t, etcd) {
		t.Errorf("etcd still accepts connections on %s", etcd)
	}
	if err := syscall.Kill(cmPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kube-controller-manager (pid %d) still exists: kill(0) = %v", cmPID, err)
	}
	if _, err := exec.Command("test", "-e", c.Dir).CombinedOutput(); err == nil {
		t.Errorf("cluster directory %s is left behind", c.Dir)
	}
}
