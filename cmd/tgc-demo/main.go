// Command tgc-demo runs tgc end to end on this machine: a local control plane
// with a loopback kubelet, the ELBv2 emulator with a load balancer, and the
// controller binary, then deploys a sample app and sends a request through the
// emulated load balancer. It leaves nothing running when it exits.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tgc-dev/targetgroupcontroller/test/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo.Run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}
