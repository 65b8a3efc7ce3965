// Command loopback-kubelet plays a Kubernetes node against any cluster
// reachable through a kubeconfig: it registers a Node, binds unscheduled pods
// and serves each pod's ports on the pod IP's mapped loopback address. See
// package test/kubelet.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loopback-kubelet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := pflag.NewFlagSet("loopback-kubelet", pflag.ContinueOnError)
	o.bind(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.version {
		fmt.Println(version.Get().String("loopback-kubelet"))
		return nil
	}
	return o.run(ctx)
}
