// Command tgc-bench runs the cluster-scale benchmarks of issue 6 and
// writes bench/results and the table in BENCHMARKS.md. See
// internal/benchmark.
package main

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/tgc-dev/targetgroupcontroller/internal/benchmark"
)

func main() {
	if err := benchmark.Main(ctrl.SetupSignalHandler(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tgc-bench:", err)
		os.Exit(1)
	}
}
