// Package demo is `make demo`: tgc's real job on the embedded defaults, as
// one of the Scenarios (`make demo SCENARIO=bluegreen`).
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

	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// Scenarios are the demo's variants, by the name `make demo SCENARIO=…`
// takes.
var Scenarios = map[string]string{
	"basic":     "the sample app's pods become healthy targets and serve through the load balancer",
	"bluegreen": "a blue and a green version behind one listener whose weights move the traffic over",
}

// Options are what `make demo` passes.
type Options struct {
	// Scenario is one of Scenarios' names.
	Scenario string
	// Report is where the rolling update's report is written.
	Report string
	// Keep leaves everything running once the scenario is done, until ctx
	// ends (Ctrl-C), so a user can try kubectl and kubectl tgc on it.
	Keep bool
}

// env is what every scenario starts from: a control plane, the emulator
// and an SDK client for it.
type env struct {
	opts    Options
	step    *stepper
	out     io.Writer
	root    string
	cluster *testcluster.Cluster
	emu     *emulator.Emulator
	elb     *elbv2sdk.Client
}

// Run starts the control plane and the emulator, runs the named scenario
// on them, then tears everything down.
func Run(ctx context.Context, out io.Writer, opts Options) error {
	scenarios := map[string]func(context.Context, *env) error{"basic": runBasic, "bluegreen": runBlueGreen}
	run, ok := scenarios[opts.Scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q: choose basic or bluegreen", opts.Scenario)
	}
	e := &env{opts: opts, step: newStepper(out), out: out}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	e.root = root
	if e.opts.Report == "" {
		e.opts.Report = filepath.Join(root, "demo-report.html")
	}

	e.step.Printf("Starting the local control plane (the first run builds Kubernetes %s; that takes about 11 minutes)", "binaries")
	e.cluster, err = testcluster.Start(ctx, testcluster.Options{
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")},
	})
	if err != nil {
		return fmt.Errorf("starting the local control plane: %w", err)
	}
	defer func() {
		e.step.Printf("Stopping the control plane and the loopback kubelet")
		_ = e.cluster.Stop()
	}()
	e.step.Printf("Control plane is up; kubeconfig: %s", e.cluster.Kubeconfig)

	e.emu, err = emulator.New(emulator.Config{
		VPCs:    []emulator.VPC{{ID: demoVPC, CIDR: netip.MustParsePrefix("10.244.0.0/16")}},
		DialMap: []emulator.DialMapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}},
		Profile: demoProfile(),
	})
	if err != nil {
		return fmt.Errorf("configuring the ELBv2 emulator: %w", err)
	}
	if err := e.emu.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("starting the ELBv2 emulator: %w", err)
	}
	defer func() {
		e.step.Printf("Stopping the ELBv2 emulator")
		_ = e.emu.Close()
	}()
	e.step.Printf("ELBv2 emulator listening on %s", e.emu.URL())
	e.elb = newELBv2Client(e.emu.URL())
	return run(ctx, e)
}

// startController builds and starts the controller, stopped when the
// returned function is called.
func (e *env) startController(ctx context.Context) (stop func(), err error) {
	e.step.Printf("Building and starting the controller")
	ctrl, err := startController(ctx, e.root, e.cluster.Kubeconfig, e.emu.URL(), e.out)
	if err != nil {
		return nil, err
	}
	return func() {
		e.step.Printf("Stopping the controller")
		ctrl.Stop()
	}, nil
}

// listenerAddress is where the listener accepts, on its load balancer's own
// address, with the hint that reaches it by name.
func (e *env) listenerAddress(lb loadBalancer) (string, error) {
	addr, err := e.emu.ListenerAddr(lb.ListenerARN)
	if err != nil {
		return "", fmt.Errorf("finding the demo listener's address: %w", err)
	}
	return addr, nil
}

// holdIfKept, with Keep, prints what a user pastes into another shell to
// reach the demo's cluster and emulator, then waits for Ctrl-C.
func (e *env) holdIfKept(ctx context.Context) error {
	if !e.opts.Keep {
		return nil
	}
	e.step.Printf("The demo keeps running until Ctrl-C. To try kubectl and kubectl tgc on it, paste into another shell:")
	fmt.Fprintf(e.out, "\n    export KUBECONFIG=%s\n", e.cluster.Kubeconfig)
	for _, kv := range emulator.SDKEnv(e.emu.URL(), demoRegion) {
		fmt.Fprintf(e.out, "    export %s\n", kv)
	}
	fmt.Fprintf(e.out, "\n  then, from the repository:\n\n    kubectl get targetgroupbindings -A\n    make plugin && bin/kubectl-tgc status -A\n\n")
	<-ctx.Done()
	fmt.Fprintln(e.out)
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
