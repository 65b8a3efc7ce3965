package testcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// binaries are what a test cluster needs in its assets directory.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kubectl"}

// Assets returns the directory holding etcd, kube-apiserver,
// kube-controller-manager and kubectl: KUBEBUILDER_ASSETS when set, else
// the output of the module's hack/kube-assets.sh, which builds the binaries
// on first use (about 11 minutes on 2 cores, with progress on stderr) and
// answers at once after that.
func Assets(ctx context.Context) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if err := checkAssets(dir); err != nil {
			return "", fmt.Errorf("KUBEBUILDER_ASSETS: %w", err)
		}
		return dir, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "hack", "kube-assets.sh")
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // a cold build is long; show its progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("running %s: %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if err := checkAssets(dir); err != nil {
		return "", fmt.Errorf("%s printed %q: %w", script, dir, err)
	}
	return dir, nil
}

func checkAssets(dir string) error {
	var errs []error
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			errs = append(errs, fmt.Errorf("%s is missing from %s: %w", b, dir, err))
		}
	}
	return errors.Join(errs...)
}

// ModuleRoot walks up from the working directory (a package directory under
// go test) to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
