package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
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
		bin = filepath.Join(dir, "targetgroupcontroller")
		var out bytes.Buffer
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/targetgroupcontroller")
		build.Dir = root
		build.Stdout, build.Stderr = &out, &out
		if err := build.Run(); err != nil {
			return controllerBinary{}, fmt.Errorf("building the controller: %w\n%s", err, out.String())
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
	if b.flags["webhook-port"] {
		// The scenarios write the gate in the pod template, the documented
		// manual alternative to the injection webhook.
		args = append(args, "--webhook-port=0")
	}
	return args
}

// controller is one running controller process.
type controller struct {
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	started time.Time
}

func (b controllerBinary) start(namespace, kubeconfig, endpoint, logPath string) (*controller, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the controller log: %w", err)
	}
	cmd := exec.Command(b.path, b.args(namespace)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Env = append(cmd.Env, emulator.SDKEnv(endpoint, region)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The controller dies with the test binary, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting the controller: %w", err)
	}
	c := &controller{cmd: cmd, done: make(chan struct{}), logPath: logPath, started: time.Now()}
	go func() { _ = cmd.Wait(); logFile.Close(); close(c.done) }()
	return c, nil
}

// stop sends SIGTERM, as the kubelet does when the controller's pod is
// deleted, and kills the process if it has not exited after a while.
func (c *controller) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("controller (pid %d) ignored SIGTERM for 10s and was killed", c.cmd.Process.Pid)
	}
}

// exited reports whether the process has ended on its own.
func (c *controller) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// logTail is the end of the controller's log, for a failing test's output.
func (c *controller) logTail(lines int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", c.logPath, err)
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
