// Package peer runs the AWS Load Balancer Controller, tgc's peer, as its
// own process against a test control plane and the ELBv2 emulator: for
// the side-by-side benchmark (make bench-peer) and the migration test. The
// binary comes from hack/peer.sh, which builds it from source once per
// commit; this repository never imports or copies the peer's code, and
// writes its bindings as unstructured objects.
package peer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// Build is a build of the peer, as hack/peer.sh leaves it in its cache
// directory.
type Build struct {
	Bin     string
	CRDDir  string
	Version string
}

// Load reads a hack/peer.sh cache directory: controller, crds/ and
// version.
func Load(dir string) (Build, error) {
	b := Build{Bin: filepath.Join(dir, "controller"), CRDDir: filepath.Join(dir, "crds")}
	if _, err := os.Stat(b.Bin); err != nil {
		return Build{}, fmt.Errorf("no peer controller in %s (build it with hack/peer.sh): %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(b.CRDDir, "crds.yaml")); err != nil {
		return Build{}, fmt.Errorf("no peer CRDs in %s (build it with hack/peer.sh): %w", dir, err)
	}
	v, err := os.ReadFile(filepath.Join(dir, "version"))
	if err != nil {
		return Build{}, fmt.Errorf("reading the peer's version: %w", err)
	}
	b.Version = strings.TrimSpace(string(v))
	return b, nil
}

// ErrUnavailable is returned by Find when there is no cached build, no
// PEER_SRC and no way to clone the peer.
var ErrUnavailable = errors.New("the AWS Load Balancer Controller is not built on this machine")

// Find runs hack/peer.sh from the module root: the cached build, or a
// build from PEER_SRC or a clone of the pinned tag.
func Find(ctx context.Context, root string) (Build, error) {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "peer.sh"))
	// A clone that cannot reach GitHub must fail, not wait for a prompt
	// or a stalled connection.
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_HTTP_LOW_SPEED_LIMIT=1000", "GIT_HTTP_LOW_SPEED_TIME=30")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Build{}, fmt.Errorf("%w: hack/peer.sh: %v: %s; build it once with PEER_SRC=<checkout> bash hack/peer.sh (or make bench-peer)", ErrUnavailable, err, strings.TrimSpace(stderr.String()))
	}
	return Load(strings.TrimSpace(string(out)))
}

// Options are where the peer finds the cluster and AWS.
type Options struct {
	Kubeconfig  string
	EmulatorURL string
	Region      string
	VPC         string
	// WatchNamespace limits the peer to one namespace; empty watches all.
	WatchNamespace string
	LogPath        string
}

// Args are the flags the peer runs with for a TargetGroupBinding-only
// run: no Service, Gateway, WAF or Shield work, no leader election, the
// emulator for ELBv2, EC2 and STS, and loopback addresses. Its webhook
// server still starts (the pod mutator is registered unconditionally), so
// it gets a serving certificate; no webhook configuration points at it.
func Args(o Options, certDir string, webhookPort, metricsPort, healthPort int) []string {
	loop := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	args := []string{
		"--kubeconfig=" + o.Kubeconfig,
		"--cluster-name=tgc-test",
		"--aws-region=" + o.Region,
		"--aws-vpc-id=" + o.VPC,
		"--aws-api-endpoints=EC2=" + o.EmulatorURL + ",Elastic Load Balancing v2=" + o.EmulatorURL + ",STS=" + o.EmulatorURL,
		"--feature-gates=EnableServiceController=false,ALBGatewayAPI=false,NLBGatewayAPI=false",
		"--enable-waf=false", "--enable-wafv2=false", "--enable-shield=false",
		"--enable-leader-election=false",
		"--metrics-bind-addr=" + loop(metricsPort),
		"--health-probe-bind-addr=" + loop(healthPort),
		"--webhook-bind-port=" + strconv.Itoa(webhookPort),
		"--webhook-cert-dir=" + certDir,
	}
	if o.WatchNamespace != "" {
		args = append(args, "--watch-namespace="+o.WatchNamespace)
	}
	return args
}

// Running is a started peer.
type Running struct {
	*process.Process
	// Args are the flags it runs with.
	Args []string
	// WebhookURL is its webhook server's base URL on loopback, and CABundle
	// the CA of its serving certificate, for a webhook configuration that
	// sends pod creations to its readiness gate injector (/mutate-v1-pod).
	WebhookURL string
	CABundle   []byte
}

// Start runs the peer and waits until it reports ready (its webhook
// server listening); its certificate directory goes when it exits. Ports
// are picked free and then bound by the peer, so another process can take
// one in between: a peer that exits before it is ready is started again on
// other ports, up to three times.
func Start(b Build, o Options) (*Running, error) {
	var lastErr error
	for range 3 {
		r, err := startOnce(b, o)
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startOnce(b Build, o Options) (*Running, error) {
	hook := &envtest.WebhookInstallOptions{}
	if err := hook.PrepWithoutInstalling(); err != nil {
		return nil, fmt.Errorf("issuing the peer's webhook serving certificate: %w", err)
	}
	metricsPort, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	healthPort, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	args := Args(o, hook.LocalServingCertDir, hook.LocalServingPort, metricsPort, healthPort)
	p, err := process.StartController(b.Bin, args, o.Kubeconfig, o.EmulatorURL, o.Region, o.LogPath)
	if err != nil {
		os.RemoveAll(hook.LocalServingCertDir)
		return nil, fmt.Errorf("starting the peer: %w", err)
	}
	go func() {
		<-p.Done()
		os.RemoveAll(hook.LocalServingCertDir)
	}()
	readyz := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(healthPort)) + "/readyz"
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if p.Exited() {
			return nil, fmt.Errorf("the peer exited before it was ready (%v): %s", p.Err(), p.LogTail(5))
		}
		if resp, err := hc.Get(readyz); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &Running{Process: p, Args: args, CABundle: hook.LocalServingCAData,
					WebhookURL: "https://" + net.JoinHostPort(hook.LocalServingHost, strconv.Itoa(hook.LocalServingPort))}, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = p.Stop(5 * time.Second)
	return nil, fmt.Errorf("the peer was not ready within 2 minutes: %s", p.LogTail(5))
}

// The peer's binding, as its chart's CRDs define it.
const (
	APIVersion = "elbv2.k8s.aws/v1beta1"
	Kind       = "TargetGroupBinding"
	// Finalizer is the finalizer the peer puts on its bindings.
	Finalizer = "elbv2.k8s.aws/resources"
)

// Binding is the peer's TargetGroupBinding of an ip target group for a
// Service port. targetType and ipAddressType are set because the peer's
// own webhook, which would default them, is not installed.
func Binding(namespace, name, service string, port int64, group string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"targetGroupARN": group,
			"targetType":     "ip",
			"ipAddressType":  "ipv4",
			"serviceRef":     map[string]any{"name": service, "port": port},
		},
	}}
	u.SetAPIVersion(APIVersion)
	u.SetKind(Kind)
	u.SetName(name)
	u.SetNamespace(namespace)
	return u
}
