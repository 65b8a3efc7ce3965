// Command tgc-demo runs tgc end to end on this machine: a local control plane
// with a loopback kubelet, the ELBv2 emulator with a load balancer, and the
// controller binary, then deploys a sample app and sends requests through the
// emulated load balancer; --scenario=bluegreen moves traffic between a blue
// and a green version by listener weights. The basic scenario ends with a
// rolling update under steady load and writes its picture to
// demo-report.html. It leaves nothing running when it exits; with --keep it
// first waits for Ctrl-C, so the cluster can be tried by hand.
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
	var opts demo.Options
	fs.StringVar(&opts.Scenario, "scenario", "basic", scenarioHelp())
	fs.StringVar(&opts.Report, "report", "", "where the basic scenario's rolling update writes its HTML report (default demo-report.html at the repository's root)")
	fs.BoolVar(&opts.Keep, "keep", false, "leave the demo running until Ctrl-C and print the KUBECONFIG and AWS environment lines to reach it (make demo KEEP=1)")
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
	if err := demo.Run(ctx, os.Stdout, opts); err != nil {
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
