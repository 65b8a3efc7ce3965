// Command tgc-demo runs tgc end to end on this machine: a local control plane
// with a loopback kubelet, the ELBv2 emulator with a load balancer, and the
// controller binary, then deploys a sample app and sends requests through the
// emulated load balancer; --scenario=bluegreen moves traffic between a blue
// and a green version by listener weights. It leaves nothing running when it
// exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
	"github.com/tgc-dev/targetgroupcontroller/test/demo"
)

func main() {
	fs := pflag.NewFlagSet("tgc-demo", pflag.ContinueOnError)
	printVersion := fs.Bool("version", false, "print the version, commit and Go version, and exit")
	scenario := fs.String("scenario", "basic", scenarioHelp())
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
	if err := demo.Run(ctx, os.Stdout, *scenario); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func scenarioHelp() string {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(demo.Scenarios)) {
		lines = append(lines, name+": "+demo.Scenarios[name])
	}
	return "what the demo shows (make demo SCENARIO=...): " + strings.Join(lines, "; ")
}
