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
	"time"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// controllerProcess is the controller binary running as its own process, as
// it would in a cluster: it reaches the API server through a kubeconfig and
// ELBv2 through the SDK's standard endpoint variable.
type controllerProcess struct {
	*process.Process
	dir string
}

func startController(ctx context.Context, root, kubeconfig, endpoint string, out io.Writer) (*controllerProcess, error) {
	dir, err := os.MkdirTemp("", "tgc-demo-")
	if err != nil {
		return nil, fmt.Errorf("creating a scratch dir: %w", err)
	}
	bin, err := process.BuildController(ctx, root, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p, err := process.StartController(bin, []string{
		"--leader-elect=false",
		"--metrics-bind-address=127.0.0.1:0",
		// Local: nothing scrapes the demo's /metrics through the API server.
		"--metrics-secure=false",
		"--health-probe-bind-address=127.0.0.1:0",
		// Status counts follow target health closely enough to watch.
		"--health-poll-interval=1s",
	}, kubeconfig, endpoint, demoRegion, filepath.Join(dir, "controller.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fmt.Fprintf(out, "    controller running (pid %d), log: %s\n", p.Pid(), p.LogPath)
	return &controllerProcess{Process: p, dir: dir}, nil
}

// Stop stops the controller, killing it if it has not exited 10 s after
// SIGTERM, and removes its binary and log.
func (p *controllerProcess) Stop() {
	_ = p.Process.Stop(10 * time.Second)
	os.RemoveAll(p.dir)
}

// applyManifest applies examples/<name> with its placeholders (e.g.
// TARGET_GROUP_ARN) filled in, the way a user would with kubectl.
func applyManifest(ctx context.Context, root, kubeconfig, name string, fill map[string]string, out io.Writer) error {
	manifest, err := os.ReadFile(filepath.Join(root, "examples", name))
	if err != nil {
		return fmt.Errorf("reading examples/%s: %w", name, err)
	}
	filled := string(manifest)
	for placeholder, value := range fill {
		filled = strings.ReplaceAll(filled, placeholder, value)
	}
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfig, "apply", "-f", "-")
	cmd.Stdin = bytes.NewBufferString(filled)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("applying examples/%s: %w", name, err)
	}
	return nil
}

func kubectl(ctx context.Context, kubeconfig string, out io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}
