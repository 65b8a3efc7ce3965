package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
)

// Source is the repository the image's source label points to.
const Source = "https://github.com/tgc-dev/targetgroupcontroller"

const usage = `tgc-image builds targetgroupcontroller's multi-platform OCI image without a Docker daemon, and pushes it.

  tgc-image build [--out bin/image] [--platform linux/amd64,linux/arm64]
  tgc-image push --image REGISTRY/REPOSITORY:TAG [--layout bin/image] [--insecure]

Flags:
`

// Main runs tgc-image with args (without the program name), from the
// module's root directory.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("tgc-image", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "bin/image", "build: directory of the OCI image layout to write (replaced).")
	platforms := fs.StringSlice("platform", []string{"linux/amd64", "linux/arm64"}, "build: os/arch of the images in the index.")
	layoutDir := fs.String("layout", "bin/image", "push: the OCI image layout that build wrote.")
	ref := fs.String("image", "", "push: where to push the index, e.g. registry.example.com/tgc:v1 (required).")
	insecure := fs.Bool("insecure", false, "push: allow plain HTTP to the registry (always allowed for localhost and 127.0.0.1).")
	printVersion := fs.Bool("version", false, "Print the version, commit and Go version, and exit.")
	fs.Usage = func() { fmt.Fprintf(stderr, "%s%s", usage, fs.FlagUsages()) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if *printVersion {
		fmt.Fprintln(stdout, version.Get().String("tgc-image"))
		return nil
	}
	switch strings.Join(fs.Args(), " ") {
	case "build":
		plats, err := parsePlatforms(*platforms)
		if err != nil {
			return err
		}
		digest, err := build(ctx, *out, plats, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s\n", *out, digest)
		return nil
	case "push":
		if *ref == "" {
			return errors.New("push needs --image, e.g. make push IMAGE=registry.example.com/tgc:v1")
		}
		idx, err := ReadLayout(*layoutDir)
		if err != nil {
			return err
		}
		d, err := Push(ctx, *ref, idx, *insecure)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, d)
		return nil
	default:
		fs.Usage()
		return fmt.Errorf("want one command, build or push; got %q", fs.Args())
	}
}

// build builds the controller's image from the module in the current
// directory and writes it to out.
func build(ctx context.Context, out string, platforms []v1.Platform, log io.Writer) (v1.Hash, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return v1.Hash{}, err
	}
	info, created, err := Describe(root)
	if err != nil {
		return v1.Hash{}, err
	}
	work, err := os.MkdirTemp("", "tgc-image-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(work)
	idx, err := Build(ctx, Spec{
		ModuleDir: root,
		Package:   "./cmd/targetgroupcontroller",
		Binary:    "targetgroupcontroller",
		Platforms: platforms,
		Source:    Source,
		Build:     info,
		Created:   created,
		WorkDir:   work,
		Log:       log,
	})
	if err != nil {
		return v1.Hash{}, err
	}
	return WriteLayout(out, idx)
}

func parsePlatforms(ss []string) ([]v1.Platform, error) {
	var ps []v1.Platform
	for _, s := range ss {
		p, err := v1.ParsePlatform(s)
		if err != nil {
			return nil, fmt.Errorf("--platform %q: %w", s, err)
		}
		ps = append(ps, *p)
	}
	if len(ps) == 0 {
		return nil, errors.New("--platform: want at least one")
	}
	return ps, nil
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the targetgroupcontroller module")
	}
	return strings.TrimSuffix(gomod, "/go.mod"), nil
}
