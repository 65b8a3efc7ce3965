// Command tgc-image builds targetgroupcontroller's multi-platform container
// image as an OCI image layout and pushes it to a registry, with no Docker
// daemon: `make image` and `make push`. See hack/image.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tgc-dev/targetgroupcontroller/hack/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := image.Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tgc-image:", err)
		os.Exit(1)
	}
}
