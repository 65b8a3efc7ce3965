package image

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestImage builds the image as `make image` does, pushes it to a registry
// as `make push` does, pulls it back and runs the binary in it.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the controller twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, created, err := Describe(root)
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{
		ModuleDir: root, Package: "./cmd/targetgroupcontroller", Binary: "targetgroupcontroller",
		Platforms: DefaultPlatforms(), Source: Source, Build: info, Created: created,
	}
	build := func() v1.Hash {
		t.Helper()
		s := spec
		s.WorkDir = t.TempDir()
		start := time.Now()
		idx, err := Build(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := WriteLayout(filepath.Join(t.TempDir(), "image"), idx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s in %s", d, time.Since(start).Round(time.Millisecond))
		return d
	}

	layoutDir := filepath.Join(t.TempDir(), "image")
	s := spec
	s.WorkDir = t.TempDir()
	idx, err := Build(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	built, err := WriteLayout(layoutDir, idx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a second build of the same commit has the same digest", func(t *testing.T) {
		if again := build(); again != built {
			t.Errorf("second build %s, first %s", again, built)
		}
	})

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	ref := strings.TrimPrefix(reg.URL, "http://") + "/tgc:check"
	fromLayout, err := ReadLayout(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := Push(ctx, ref, fromLayout, false)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.DigestStr() != built.String() {
		t.Errorf("pushed %s, built %s", pushed, built)
	}

	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Index(r, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pulled.Digest(); d != built {
		t.Errorf("pulled index %s, built %s", d, built)
	}
	m, err := pulled.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	images := map[string]v1.Image{}
	for _, desc := range m.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		img, err := pulled.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		platforms = append(platforms, desc.Platform.String())
		images[desc.Platform.String()] = img
	}
	t.Run("the index holds linux/amd64 and linux/arm64", func(t *testing.T) {
		if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
			t.Errorf("platforms %v, want %v", platforms, want)
		}
	})

	for plat, img := range images {
		t.Run(plat+" runs the binary as 65532 with the OCI labels", func(t *testing.T) {
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.OS + "/" + cfg.Architecture; got != plat {
				t.Errorf("config says %s", got)
			}
			if cfg.Config.User != "65532:65532" {
				t.Errorf("user %q, want 65532:65532", cfg.Config.User)
			}
			if want := []string{"/targetgroupcontroller"}; !slices.Equal(cfg.Config.Entrypoint, want) {
				t.Errorf("entrypoint %q, want %q", cfg.Config.Entrypoint, want)
			}
			wantLabels := map[string]string{
				LabelSource:   Source,
				LabelRevision: info.Commit,
				LabelVersion:  info.Version,
				LabelCreated:  created.Format(time.RFC3339),
			}
			for k, v := range wantLabels {
				if cfg.Config.Labels[k] != v {
					t.Errorf("label %s=%q, want %q", k, cfg.Config.Labels[k], v)
				}
			}
			if !cfg.Created.Time.Equal(created) {
				t.Errorf("created %s, want %s", cfg.Created.Time, created)
			}
			layers, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != 1 {
				t.Errorf("%d layers, want 1 (FROM scratch, one binary)", len(layers))
			}
		})
	}

	t.Run("the amd64 binary from the pulled layers prints its version", func(t *testing.T) {
		if runtime.GOOS+"/"+runtime.GOARCH != "linux/amd64" {
			t.Skip("runs only on linux/amd64")
		}
		bin := extract(t, images["linux/amd64"], "targetgroupcontroller", created)
		out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", bin, err, out)
		}
		line := strings.TrimSpace(string(out))
		for _, want := range []string{"targetgroupcontroller " + info.Version, info.Commit, runtime.Version(), "linux/amd64"} {
			if !strings.Contains(line, want) {
				t.Errorf("--version printed %q, want it to contain %q", line, want)
			}
		}
		t.Log(line)
	})
}

// extract writes the file called name from img's filesystem to a temporary
// directory, checking that it is a root-owned, read-only executable with
// the build's time.
func extract(t *testing.T, img v1.Image, name string, mtime time.Time) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("no %s in the image", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name != name {
			t.Errorf("unexpected file %s in the image", hdr.Name)
			continue
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Mode != 0o555 || !hdr.ModTime.Equal(mtime) {
			t.Errorf("%s: owner %d:%d mode %o time %s, want 0:0 555 %s", name, hdr.Uid, hdr.Gid, hdr.Mode, hdr.ModTime, mtime)
		}
		path := filepath.Join(t.TempDir(), name)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
}
