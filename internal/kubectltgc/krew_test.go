package kubectltgc

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestTheKrewManifestInstallsThisBinary reads plugins/tgc.yaml strictly,
// with the fields krew's v1alpha2 Plugin has, so that a misspelt key or a
// platform that would install another binary fails here.
func TestTheKrewManifestInstallsThisBinary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "plugins", "tgc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Version          string `json:"version"`
			Homepage         string `json:"homepage"`
			ShortDescription string `json:"shortDescription"`
			Description      string `json:"description"`
			Platforms        []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
				Bin    string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(raw, &m); err != nil {
		t.Fatalf("plugins/tgc.yaml: %v", err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "tgc" {
		t.Errorf("manifest is %s %s %q, want a krew v1alpha2 Plugin named tgc (kubectl tgc)", m.APIVersion, m.Kind, m.Metadata.Name)
	}
	if len(m.Spec.Platforms) == 0 || m.Spec.ShortDescription == "" {
		t.Fatal("manifest lists no platform or no short description")
	}
	sha := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, p := range m.Spec.Platforms {
		if p.Bin != "kubectl-tgc" || !sha.MatchString(p.SHA256) || !strings.Contains(p.URI, m.Spec.Version) ||
			p.Selector.MatchLabels["os"] == "" || p.Selector.MatchLabels["arch"] == "" {
			t.Errorf("platform %+v: want bin kubectl-tgc, a sha256, an os and arch, and the version %s in its URI", p, m.Spec.Version)
		}
	}
}
