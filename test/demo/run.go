// Package demo is `make demo`: tgc's real job on the embedded defaults.
package demo

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

const replicas = 3

// Run starts everything, shows the sample app's pods becoming healthy targets
// and serving through the emulated load balancer, then tears it all down.
func Run(ctx context.Context, out io.Writer) error {
	step := newStepper(out)
	root, err := moduleRoot()
	if err != nil {
		return err
	}

	step.Printf("Starting the local control plane (the first run builds Kubernetes %s; that takes about 11 minutes)", "binaries")
	cluster, err := testcluster.Start(ctx, testcluster.Options{
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")},
	})
	if err != nil {
		return fmt.Errorf("starting the local control plane: %w", err)
	}
	defer func() {
		step.Printf("Stopping the control plane and the loopback kubelet")
		_ = cluster.Stop()
	}()
	step.Printf("Control plane is up; kubeconfig: %s", cluster.Kubeconfig)

	emu, err := emulator.New(emulator.Config{
		VPCs:    []emulator.VPC{{ID: demoVPC, CIDR: netip.MustParsePrefix("10.244.0.0/16")}},
		DialMap: []emulator.DialMapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}},
		Profile: demoProfile(),
	})
	if err != nil {
		return fmt.Errorf("configuring the ELBv2 emulator: %w", err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("starting the ELBv2 emulator: %w", err)
	}
	defer func() {
		step.Printf("Stopping the ELBv2 emulator")
		_ = emu.Close()
	}()
	step.Printf("ELBv2 emulator listening on %s", emu.URL())

	elb := newELBv2Client(emu.URL())
	lb, err := createLoadBalancer(ctx, elb)
	if err != nil {
		return err
	}
	addr, err := emu.ListenerAddr(lb.ListenerARN)
	if err != nil {
		return fmt.Errorf("finding the demo listener's address: %w", err)
	}
	step.Printf("Created an ALB %s with an HTTP listener on %s (the load balancer's own address) forwarding to target group\n    %s\n%s",
		lb.DNSName, addr, lb.TargetGroupARN, reachHint(lb.DNSName, addr))

	step.Printf("Building and starting the controller")
	ctrl, err := startController(ctx, root, cluster.Kubeconfig, emu.URL(), out)
	if err != nil {
		return err
	}
	defer func() {
		step.Printf("Stopping the controller")
		ctrl.Stop()
	}()

	step.Printf("Deploying the sample app (examples/sample-app.yaml): %d replicas, a Service and a TargetGroupBinding", replicas)
	if err := applySampleApp(ctx, root, cluster.Kubeconfig, lb.TargetGroupARN, out); err != nil {
		return err
	}

	step.Printf("Waiting for the pods to become healthy targets (DescribeTargetHealth through the SDK)")
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := waitHealthy(waitCtx, elb, lb.TargetGroupARN, replicas, out); err != nil {
		return err
	}
	step.Printf("Waiting for tgc to turn the pods' readiness gates True and count the healthy targets")
	if err := kubectl(ctx, cluster.Kubeconfig, out, "wait", "-n", "demo", "--timeout=60s", "--for=condition=Ready", "pod", "-l", "app=echo"); err != nil {
		return fmt.Errorf("waiting for the sample pods to become Ready: %w", err)
	}
	if err := kubectl(ctx, cluster.Kubeconfig, out, "wait", "-n", "demo", "--timeout=60s", fmt.Sprintf("--for=jsonpath={.status.targets.healthy}=%d", replicas), "targetgroupbinding/echo"); err != nil {
		return fmt.Errorf("waiting for the binding to count %d healthy targets: %w", replicas, err)
	}
	_ = kubectl(ctx, cluster.Kubeconfig, out, "get", "targetgroupbindings,pods", "-n", "demo", "-o", "wide")

	step.Printf("Sending requests through the load balancer at http://%s:%d/ (resolved to %s, as curl --resolve does)", lb.DNSName, lb.ListenerPort, addr)
	if err := sendRequests(ctx, lb.DNSName, addr, lb.ListenerPort, 6, out); err != nil {
		return err
	}
	step.Printf("Demo complete: every pod is a healthy target and serves through the load balancer")
	return nil
}

// stepper numbers the demo's progress lines.
type stepper struct {
	out   io.Writer
	n     int
	start time.Time
}

func newStepper(out io.Writer) *stepper { return &stepper{out: out, start: time.Now()} }

func (s *stepper) Printf(format string, args ...any) {
	s.n++
	fmt.Fprintf(s.out, "[%3ds] %d. %s\n", int(time.Since(s.start).Seconds()), s.n, fmt.Sprintf(format, args...))
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/tgc-dev/targetgroupcontroller") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run the demo from inside the tgc repository (no go.mod found above %s)", dir)
		}
		dir = parent
	}
}

// demoProfile is the fast profile slowed just enough that a person watching
// sees targets pass through initial before they turn healthy.
func demoProfile() emulator.Profile {
	p := emulator.FastProfile()
	p.RegistrationDelay = time.Second
	p.HealthCheckInterval = 500 * time.Millisecond
	return p
}
