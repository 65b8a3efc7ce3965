package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// BuildController builds tgc's controller binary from the module at root
// into dir and returns its path, so that what runs is the binary users
// run.
func BuildController(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "targetgroupcontroller")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/targetgroupcontroller")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the controller: %w\n%s", err, out)
	}
	return bin, nil
}

// StartController starts the controller binary bin with args, as it runs
// in a cluster: it reaches the API server through kubeconfig and ELBv2
// through the SDK's standard endpoint variable, here the emulator at
// endpoint in region. Its log goes to logPath.
func StartController(bin string, args []string, kubeconfig, endpoint, region, logPath string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Env = append(cmd.Env, emulator.SDKEnv(endpoint, region)...)
	p, err := Start(cmd, logPath)
	if err != nil {
		return nil, fmt.Errorf("starting the controller: %w", err)
	}
	return p, nil
}
