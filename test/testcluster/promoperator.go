package testcluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// prometheusOperatorModule carries the operator's CRDs as YAML files.
const prometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator"

// PrometheusOperatorCRDs returns the paths of the Prometheus Operator's
// CustomResourceDefinitions (monitoring.coreos.com: ServiceMonitor,
// PrometheusRule, ...) at PROMETHEUS_OPERATOR_VERSION in hack/versions.env,
// ready for `kubectl apply --server-side -f`. They come from the operator's
// Go module, which the Go module proxy serves, so no other download is
// needed; the module cache keeps them after the first call.
func PrometheusOperatorCRDs(ctx context.Context) ([]string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	version, err := pinnedVersion(filepath.Join(root, "hack", "versions.env"), "PROMETHEUS_OPERATOR_VERSION")
	if err != nil {
		return nil, err
	}
	dir, err := moduleDir(ctx, prometheusOperatorModule+"@"+version)
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no monitoring.coreos.com CRDs in %s@%s under example/prometheus-operator-crd", prometheusOperatorModule, version)
	}
	return paths, nil
}

// pinnedVersion reads KEY=value from a versions file.
func pinnedVersion(path, key string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), key+"="); ok {
			return v, nil
		}
	}
	if err := s.Err(); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return "", fmt.Errorf("%s sets no %s", path, key)
}

// moduleDir downloads a module version into the module cache, if it is not
// there yet, and returns its directory. It runs outside this module, so
// that neither go.mod nor go.sum learns of it.
func moduleDir(ctx context.Context, modVersion string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", modVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s%s", modVersion, err, out.String(), errOut.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		return "", fmt.Errorf("reading go mod download's answer for %s: %w", modVersion, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	return info.Dir, nil
}
