package scenario

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/spf13/pflag"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
	"github.com/tgc-dev/targetgroupcontroller/test/peer"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// Main parses tgc-bench's flags and runs it.
func Main(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("tgc-bench", pflag.ContinueOnError)
	scale := fs.String("scale", "full", "Scale: full (the sizes BENCHMARKS.md publishes) or quick (about a tenth, under 5 minutes).")
	names := fs.StringSlice("scenario", nil, "Scenarios to run (repeat or comma-separate); empty means all: "+strings.Join(Order, ", ")+". cpu is taken from the churn run at 3 changes/s.")
	results := fs.String("results", "bench/results", "Directory for <scenario>.json and the evidence files (quick scale writes under quick/).")
	markdown := fs.String("markdown", "BENCHMARKS.md", "Markdown file whose table gets a row per scenario and scale; empty leaves it alone.")
	verbose := fs.Bool("v", false, "Log the control plane's and the emulator's messages to stderr.")
	peerDir := fs.String("peer", "", "Run tgc and the peer (the AWS Load Balancer Controller) side by side instead of the scenarios: the directory hack/peer.sh prints (binary, CRDs, version). Writes peer.json and the BENCHMARKS.md section at full scale.")
	peerParts := fs.StringSlice("peer-parts", nil, "With --peer, the parts to run (repeat or comma-separate); empty means all: "+strings.Join(VersusParts, ", ")+". The rows of the parts not run are carried over from the peer.json already in --results.")
	cpuProfile := fs.String("cpu-profile", "", "Save a CPU profile of the controller over the churn run's 3 changes/s window (the cpu scenario's window) to this file; turns on the controller's pprof endpoints.")
	printVersion := fs.Bool("version", false, "Print the version, commit and Go version, and exit.")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "tgc-bench runs the cluster-scale benchmarks against a local control plane, the ELBv2 emulator and the built controller.")
		fmt.Fprintln(os.Stderr)
		fmt.Fprintln(os.Stderr, "Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if *printVersion {
		fmt.Println(version.Get().String("tgc-bench"))
		return nil
	}
	root, err := testcluster.ModuleRoot()
	if err != nil {
		return err
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	log := logr.Discard()
	if *verbose {
		log = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{LogTimestamp: true})
	}
	// envtest logs through controller-runtime's logger.
	ctrllog.SetLogger(log)
	if *peerDir != "" {
		vs, err := VersusScaleByName(*scale)
		if err != nil {
			return err
		}
		pb, err := peer.Load(*peerDir)
		if err != nil {
			return err
		}
		return RunVersus(ctx, Options{Root: root, ResultsDir: abs(*results), Markdown: abs(*markdown), Out: os.Stdout, Log: log}, vs, pb, *peerParts)
	}
	s, err := ScaleByName(*scale)
	if err != nil {
		return err
	}
	return Run(ctx, Options{
		Root:       root,
		Scale:      s,
		Scenarios:  *names,
		ResultsDir: abs(*results),
		Markdown:   abs(*markdown),
		Out:        os.Stdout,
		Log:        log,
		CPUProfile: abs(*cpuProfile),
	})
}
