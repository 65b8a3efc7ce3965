package scenario

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// Peer is a build of the AWS Load Balancer Controller, as hack/peer.sh
// leaves it in its cache directory.
type Peer struct {
	Bin     string
	CRDDir  string
	Version string
}

// LoadPeer reads a hack/peer.sh cache directory: controller, crds/ and
// version.
func LoadPeer(dir string) (Peer, error) {
	p := Peer{Bin: filepath.Join(dir, "controller"), CRDDir: filepath.Join(dir, "crds")}
	if _, err := os.Stat(p.Bin); err != nil {
		return Peer{}, fmt.Errorf("no peer controller in %s (build it with hack/peer.sh): %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(p.CRDDir, "crds.yaml")); err != nil {
		return Peer{}, fmt.Errorf("no peer CRDs in %s (build it with hack/peer.sh): %w", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "version"))
	if err != nil {
		return Peer{}, fmt.Errorf("reading the peer's version: %w", err)
	}
	p.Version = strings.TrimSpace(string(b))
	return p, nil
}

// peerArgs are the flags the peer runs with for a TargetGroupBinding-only
// run: no Service, Gateway, WAF or Shield work, no leader election, the
// emulator for ELBv2, EC2 and STS, and loopback addresses. Its webhook
// server still starts (the pod mutator is registered unconditionally), so
// it gets a serving certificate; no webhook configuration points at it.
func peerArgs(kubeconfig, endpoint, certDir string, webhookPort, metricsPort, healthPort int) []string {
	loop := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--cluster-name=bench",
		"--aws-region=" + region,
		"--aws-vpc-id=" + defaultVPC,
		"--aws-api-endpoints=EC2=" + endpoint + ",Elastic Load Balancing v2=" + endpoint + ",STS=" + endpoint,
		"--feature-gates=EnableServiceController=false,ALBGatewayAPI=false,NLBGatewayAPI=false",
		"--enable-waf=false", "--enable-wafv2=false", "--enable-shield=false",
		"--enable-leader-election=false",
		"--metrics-bind-addr=" + loop(metricsPort),
		"--health-probe-bind-addr=" + loop(healthPort),
		"--webhook-bind-port=" + strconv.Itoa(webhookPort),
		"--webhook-cert-dir=" + certDir,
	}
}

// startPeer runs the peer against the scenario's control plane and
// emulator; stop removes its certificate directory.
func startPeer(p Peer, logPath string, e *env) (*controller, []string, error) {
	hook := &envtest.WebhookInstallOptions{}
	if err := hook.PrepWithoutInstalling(); err != nil {
		return nil, nil, fmt.Errorf("issuing the peer's webhook serving certificate: %w", err)
	}
	metricsPort, err := process.FreePort()
	if err != nil {
		return nil, nil, err
	}
	healthPort, err := process.FreePort()
	if err != nil {
		return nil, nil, err
	}
	args := peerArgs(e.cluster.Kubeconfig, e.emu.URL(), hook.LocalServingCertDir, hook.LocalServingPort, metricsPort, healthPort)
	proc, err := process.StartController(p.Bin, args, e.cluster.Kubeconfig, e.emu.URL(), region, logPath)
	if err != nil {
		os.RemoveAll(hook.LocalServingCertDir)
		return nil, nil, fmt.Errorf("starting the peer: %w", err)
	}
	go func() {
		<-proc.Done()
		os.RemoveAll(hook.LocalServingCertDir)
	}()
	return &controller{Process: proc}, args, nil
}

// The peer's API group, as its chart's CRDs define it.
const (
	peerAPIVersion = "elbv2.k8s.aws/v1beta1"
	peerKind       = "TargetGroupBinding"
	// PeerFinalizer is the finalizer the peer puts on its bindings.
	PeerFinalizer = "elbv2.k8s.aws/resources"
)

// peerBinding is the peer's TargetGroupBinding for a Service's port 80.
// targetType and ipAddressType are set because the peer's own webhook,
// which would default them, is not installed. The object is unstructured:
// this repository never imports the peer's code.
func peerBinding(name, service, group string) client.Object {
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"targetGroupARN": group,
			"targetType":     "ip",
			"ipAddressType":  "ipv4",
			"serviceRef":     map[string]any{"name": service, "port": int64(80)},
		},
	}}
	u.SetAPIVersion(peerAPIVersion)
	u.SetKind(peerKind)
	u.SetName(name)
	u.SetNamespace(namespace)
	return u
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
