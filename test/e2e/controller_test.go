package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// controllerBinary is tgc built once for the whole package with `go build`,
// so the scenarios run the binary users run, as its own process that reaches
// the API server through a kubeconfig and ELBv2 through the SDK's standard
// endpoint variable.
type controllerBinary struct {
	path string
	// flags are the flags the binary accepts, read from its --help, so the
	// suite passes --gate-poll-interval and --webhook-port only to a binary
	// that has them.
	flags map[string]bool
}

var flagPattern = regexp.MustCompile(`--([a-z0-9][a-z0-9-]*)`)

// buildController builds the binary into dir, unless TGC_E2E_CONTROLLER
// names one already built (to run the scenarios against another build).
func buildController(ctx context.Context, root, dir string) (controllerBinary, error) {
	bin := os.Getenv("TGC_E2E_CONTROLLER")
	if bin == "" {
		var err error
		if bin, err = process.BuildController(ctx, root, dir); err != nil {
			return controllerBinary{}, err
		}
	}
	help, _ := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	b := controllerBinary{path: bin, flags: map[string]bool{}}
	for _, m := range flagPattern.FindAllStringSubmatch(string(help), -1) {
		b.flags[m[1]] = true
	}
	if !b.flags["watch-namespace"] {
		return controllerBinary{}, fmt.Errorf("the controller's --help lists no --watch-namespace:\n%s", help)
	}
	return b, nil
}

// args are the controller's flags for a scenario: one namespace, no leader
// election (one replica), and polling scaled like the emulator's timings.
func (b controllerBinary) args(namespace string) []string {
	args := []string{
		"--leader-elect=false",
		"--metrics-bind-address=0",
		"--health-probe-bind-address=127.0.0.1:0",
		"--watch-namespace=" + namespace,
		"--service-annotations=false",
		"--health-poll-interval=" + gatePollInterval.String(),
		"--log-format=console",
	}
	if b.flags["gate-poll-interval"] {
		args = append(args, "--gate-poll-interval="+gatePollInterval.String())
	}
	if b.flags["brake-evidence-ttl"] {
		// A binding's creation counts as a deliberate edit for the
		// evidence TTL (5m by default), and the scenarios create theirs
		// seconds before a fault; scaled like the emulator's timings, the
		// brake guards them as it guards a binding made long ago.
		args = append(args, "--brake-evidence-ttl=3s")
	}
	if b.flags["webhook-port"] {
		// The scenarios write the gate in the pod template, the documented
		// manual alternative to the injection webhook.
		args = append(args, "--webhook-port=0")
	}
	return args
}

// controller is one running controller process.
type controller struct{ *process.Process }

func (b controllerBinary) start(namespace, kubeconfig, endpoint, logPath string, extra ...string) (*controller, error) {
	p, err := process.StartController(b.path, append(b.args(namespace), extra...), kubeconfig, endpoint, region, logPath)
	if err != nil {
		return nil, err
	}
	return &controller{p}, nil
}

// startController runs the binary for one namespace as the controller's own
// identity, through a kubeconfig holding only the shipped ServiceAccount's
// token, and logs to logPath. extra flags come last, so that they override
// the suite's (--webhook-port in the automatic setup).
func (s *suite) startController(namespace, logPath string, extra ...string) (*controller, error) {
	return s.controller.start(namespace, s.identity.Kubeconfig, s.emu.URL(), logPath, extra...)
}

// stop sends SIGTERM, as the kubelet does when the controller's pod is
// deleted, and kills the process if it has not exited after 10 s; a kill
// is an error, since tgc must shut down on SIGTERM.
func (c *controller) stop() error { return c.Stop(10 * time.Second) }
