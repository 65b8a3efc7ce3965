// Command tgc-demo runs tgc end to end on this machine: a local control plane
// with a loopback kubelet, the ELBv2 emulator with a load balancer, and the
// controller binary, then deploys a sample app and sends a request through the
// emulated load balancer. It leaves nothing running when it exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
	"github.com/tgc-dev/targetgroupcontroller/test/demo"
)

func main() {
	fs := pflag.NewFlagSet("tgc-demo", pflag.ContinueOnError)
	printVersion := fs.Bool("version", false, "print the version, commit and Go version, and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if *printVersion {
		fmt.Println(version.Get().String("tgc-demo"))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo.Run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}
