// Command targetgroupcontroller keeps ELBv2 target groups of type ip equal to
// the ready endpoints of Kubernetes Services. See internal/manager for flags.
package main

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
)

func main() {
	if err := manager.Main(ctrl.SetupSignalHandler(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "targetgroupcontroller:", err)
		os.Exit(1)
	}
}
