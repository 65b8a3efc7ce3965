package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// controllerProcess is the controller binary running as its own process, as
// it would in a cluster: it reaches the API server through a kubeconfig and
// ELBv2 through the SDK's standard endpoint variable.
type controllerProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	dir  string
}

func startController(ctx context.Context, root, kubeconfig, endpoint string, out io.Writer) (*controllerProcess, error) {
	dir, err := os.MkdirTemp("", "tgc-demo-")
	if err != nil {
		return nil, fmt.Errorf("creating a scratch dir: %w", err)
	}
	bin := filepath.Join(dir, "targetgroupcontroller")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/targetgroupcontroller")
	build.Dir = root
	build.Stdout, build.Stderr = out, out
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("building the controller: %w", err)
	}
	logPath := filepath.Join(dir, "controller.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	cmd := exec.Command(bin,
		"--leader-elect=false",
		"--metrics-bind-address=127.0.0.1:0",
		"--health-probe-bind-address=127.0.0.1:0",
		// Status counts follow target health closely enough to watch.
		"--health-poll-interval=1s",
	)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Env = append(cmd.Env, emulator.SDKEnv(endpoint, demoRegion)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The controller dies with the demo even if the demo is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting the controller: %w", err)
	}
	p := &controllerProcess{cmd: cmd, done: make(chan struct{}), dir: dir}
	go func() { _ = cmd.Wait(); logFile.Close(); close(p.done) }()
	fmt.Fprintf(out, "    controller running (pid %d), log: %s\n", cmd.Process.Pid, logPath)
	return p, nil
}

func (p *controllerProcess) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	os.RemoveAll(p.dir)
}

// applySampleApp applies examples/sample-app.yaml with the target group ARN
// filled in, the way a user would with kubectl.
func applySampleApp(ctx context.Context, root, kubeconfig, tgARN string, out io.Writer) error {
	manifest, err := os.ReadFile(filepath.Join(root, "examples", "sample-app.yaml"))
	if err != nil {
		return fmt.Errorf("reading the sample app: %w", err)
	}
	filled := strings.ReplaceAll(string(manifest), "TARGET_GROUP_ARN", tgARN)
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfig, "apply", "-f", "-")
	cmd.Stdin = bytes.NewBufferString(filled)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("applying the sample app: %w", err)
	}
	return nil
}

func kubectl(ctx context.Context, kubeconfig string, out io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}
