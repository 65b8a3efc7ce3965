package manifests

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// helmBinary is helm as pinned in hack/tools/go.mod, built once per machine.
func helmBinary(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "hack", "tool.sh"), "helm")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("building helm with hack/tool.sh: %v\n%s", err, errOut.String())
	}
	return strings.TrimSpace(string(out))
}

// helm runs helm with args and returns its output; the test fails when it
// fails.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := tryHelm(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tryHelm runs helm with args and returns its combined output and error.
func tryHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.CommandContext(context.Background(), helmBinary(t), args...)
	// No user's helm settings or plugins leak into the test.
	home := t.TempDir()
	cmd.Env = append(cmd.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "charts", "targetgroupcontroller")
}

// render is `helm template` of the chart in namespace tgc-system with the
// values files given.
func render(t *testing.T, valuesFiles ...string) string {
	t.Helper()
	args := []string{"template", "tgc", chartDir(t), "--namespace", "tgc-system"}
	for _, f := range valuesFiles {
		args = append(args, "--values", f)
	}
	return helm(t, args...)
}

// objects decodes a multi-document YAML stream, skipping empty documents.
func objects(t *testing.T, manifests string) []*unstructured.Unstructured {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decoding manifests: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}
