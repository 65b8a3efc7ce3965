// Package image builds targetgroupcontroller's container image without a
// Docker daemon: it cross-compiles the controller for each platform, puts
// the static binary alone on an empty base, writes the multi-platform index
// as an OCI image layout and pushes it to a registry. It is tooling behind
// `make image` and `make push`, never linked into a shipped binary.
//
// The build is reproducible: the same commit gives the same index digest,
// because every input to a digest is fixed by the commit. The binaries are
// built with -trimpath and an empty build ID, the file times and the
// config's created time are SOURCE_DATE_EPOCH (the commit time unless set),
// owners are 0/0, tar entries are sorted, and the config is written from
// this package's fields alone.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
)

// User runs the controller: the "nonroot" UID and GID of distroless images,
// which config/manager/deployment.yaml also sets (runAsNonRoot needs a
// numeric non-zero user, since a scratch image has no /etc/passwd).
const User = "65532:65532"

// The OCI annotation keys the image's labels and the index carry.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelVersion  = "org.opencontainers.image.version"
	LabelCreated  = "org.opencontainers.image.created"
)

// Spec says what to build.
type Spec struct {
	// ModuleDir is the root of the module that holds Package.
	ModuleDir string
	// Package is the main package to build, relative to ModuleDir.
	Package string
	// Binary is the file name of the binary in the image, at the root.
	Binary string
	// Platforms are the os/arch pairs of the index, in this order.
	Platforms []v1.Platform
	// Source is the repository URL for org.opencontainers.image.source.
	Source string
	// Build is the version, commit and time the image says it is.
	Build version.Info
	// Created is the time of every file and of the config.
	Created time.Time
	// WorkDir holds the compiled binaries; the caller removes it.
	WorkDir string
	// Log receives one line per step; nil discards them.
	Log io.Writer
}

// DefaultPlatforms are the platforms EKS nodes run: x86 and Graviton.
func DefaultPlatforms() []v1.Platform {
	return []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
}

// Build compiles the binary for every platform and returns the index of
// the images.
func Build(ctx context.Context, s Spec) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.Annotations(idx, s.labels()).(v1.ImageIndex)
	for _, p := range s.Platforms {
		bin, err := s.compile(ctx, p)
		if err != nil {
			return nil, err
		}
		img, err := s.image(p, bin)
		if err != nil {
			return nil, fmt.Errorf("image for %s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}},
		})
	}
	return idx, nil
}

// compile cross-compiles the static binary for p and returns its path.
func (s Spec) compile(ctx context.Context, p v1.Platform) (string, error) {
	out := filepath.Join(s.WorkDir, p.OS+"-"+p.Architecture, s.Binary)
	ldflags := append([]string{"-s", "-w", "-buildid="}, s.Build.LinkerFlags()...)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags="+strings.Join(ldflags, " "), "-o", out, s.Package)
	cmd.Dir = s.ModuleDir
	// The microarchitecture levels are pinned so that a developer's GOAMD64
	// or GOARM64 cannot change the image: v1 and v8.0 run on every EC2
	// instance type of the architecture.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOAMD64=v1", "GOARM64=v8.0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	s.logf("go build %s for %s/%s", s.Package, p.OS, p.Architecture)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for %s/%s: %w", s.Package, p.OS, p.Architecture, err)
	}
	return out, nil
}

// image puts the binary at bin alone on an empty base.
func (s Spec) image(p v1.Platform, bin string) (v1.Image, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	layerTar, err := tarFiles(s.Created, []file{{name: s.Binary, mode: 0o555, data: data}})
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: s.Created}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		Created:      created,
		Config: v1.Config{
			Entrypoint: []string{"/" + s.Binary},
			User:       User,
			WorkingDir: "/",
			Labels:     s.labels(),
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: created, CreatedBy: "tgc-image: go build -trimpath " + s.Package, Comment: "CGO_ENABLED=0"},
	})
	if err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON), nil
}

// labels are the OCI labels of each image config, and the index's
// annotations.
func (s Spec) labels() map[string]string {
	return map[string]string{
		LabelSource:   s.Source,
		LabelRevision: s.Build.Commit,
		LabelVersion:  s.Build.Version,
		LabelCreated:  s.Created.UTC().Format(time.RFC3339),
	}
}

func (s Spec) logf(format string, args ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, format+"\n", args...)
	}
}

type file struct {
	name string
	mode int64
	data []byte
}

// tarFiles writes files as a tar stream whose bytes depend on nothing but
// the files and mtime: sorted entries, owner 0/0 without names, one time.
func tarFiles(mtime time.Time, files []file) ([]byte, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     f.mode,
			Size:     int64(len(f.data)),
			ModTime:  mtime.UTC(),
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
