// Command kubectl-tgc is the kubectl plugin of TargetGroupController:
// kubectl tgc status, diff, why, pause and resume (internal/kubectltgc).
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/tgc-dev/targetgroupcontroller/internal/kubectltgc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := kubectltgc.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, kubectltgc.Deps{})
	stop()
	os.Exit(code)
}
