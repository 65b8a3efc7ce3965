package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChartIsCurrent fails when the chart's generated files (CRDs, RBAC, the
// values table of its README) differ from what `make generate` writes now,
// e.g. after a values.yaml comment or a kubebuilder marker changed.
func TestChartIsCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v; run make generate", path, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale; run make generate", path)
		}
	}
}

func TestValueRows(t *testing.T) {
	cases := map[string]struct {
		values  string
		want    []valueRow
		wantErr string
	}{
		"a documented leaf": {
			values: "# -- How many.\nreplicas: 2\n",
			want:   []valueRow{{Key: "replicas", Type: "int", Default: "2", Description: "How many."}},
		},
		"a map without a comment is walked into": {
			values: "image:\n  # -- Where from.\n  repository: r\n",
			want:   []valueRow{{Key: "image.repository", Type: "string", Default: `"r"`, Description: "Where from."}},
		},
		"a documented map is one row": {
			values: "# -- Requests and limits.\nresources:\n  limits: {memory: 1Gi}\n",
			want:   []valueRow{{Key: "resources", Type: "object", Default: `{"limits":{"memory":"1Gi"}}`, Description: "Requests and limits."}},
		},
		"a description over several lines": {
			values: "# a note for maintainers\n# -- First line,\n# second line.\nx: true\n",
			want:   []valueRow{{Key: "x", Type: "bool", Default: "true", Description: "First line, second line."}},
		},
		"an undocumented leaf is an error": {
			values:  "image:\n  tag: \"\"\n",
			wantErr: "image.tag",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := valueRows([]byte(c.values))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one naming %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("rows = %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestCRDTemplateKeepsTheCRDOnUninstall(t *testing.T) {
	crd := "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    a: b\n  name: x\n"
	got, err := crdTemplate([]byte(crd))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"{{- if .Values.crds.install }}", "helm.sh/resource-policy: keep", "    a: b\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("template lacks %q:\n%s", want, got)
		}
	}
	if _, err := crdTemplate([]byte(strings.Replace(crd, "a: b", "a: '{{x}}'", 1))); err == nil {
		t.Error("a CRD holding {{ was templated; Helm would read it as an action")
	}
}
