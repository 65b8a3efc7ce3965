// Command targetgroupcontroller keeps ELBv2 target groups of type ip equal to
// the ready endpoints of Kubernetes Services. See internal/manager for flags.
package main

import (
	"fmt"
	"os"

	// The image is FROM scratch: no /etc/ssl. crypto/x509 falls back to
	// these roots only when the system has none, so TLS to AWS works in the
	// image and a host's own roots still win elsewhere.
	_ "golang.org/x/crypto/x509roots/fallback"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
)

func main() {
	if err := manager.Main(ctrl.SetupSignalHandler(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "targetgroupcontroller:", err)
		os.Exit(1)
	}
}
