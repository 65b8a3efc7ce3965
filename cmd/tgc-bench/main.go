// Command tgc-bench runs the cluster-scale benchmarks (bindings by the
// thousand, endpoint churn, restarts and rollouts against AWS's API rate
// limits) and writes bench/results and the table in BENCHMARKS.md. See
// bench/README.md.
package main

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/tgc-dev/targetgroupcontroller/bench/scenario"
)

func main() {
	if err := scenario.Main(ctrl.SetupSignalHandler(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tgc-bench:", err)
		os.Exit(1)
	}
}
