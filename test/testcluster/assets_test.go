package testcluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestAssetsFromKubebuilderAssets(t *testing.T) {
	complete := t.TempDir()
	for _, b := range binaries {
		if err := os.WriteFile(filepath.Join(complete, b), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]struct {
		dir     string
		wantErr bool
	}{
		"directory with every binary is used as is": {complete, false},
		"directory missing binaries is an error":    {t.TempDir(), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBEBUILDER_ASSETS", tc.dir)
			got, err := Assets(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Assets() error = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && got != tc.dir {
				t.Errorf("Assets() = %q, want %q", got, tc.dir)
			}
		})
	}
}

func TestModuleRootHoldsTheAssetsScript(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "kube-assets.sh")); err != nil {
		t.Errorf("module root %s has no hack/kube-assets.sh: %v", root, err)
	}
}
