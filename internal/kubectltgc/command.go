package kubectltgc

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"k8s.io/utils/clock"
)

// Deps are what Main builds itself unless given; tests pass their own.
type Deps struct {
	// Clock tells the ages in human output; the real clock by default.
	Clock clock.PassiveClock
	// AWSConfig loads the AWS configuration for a region; nil loads the
	// SDK's standard one (environment, shared files, SSO, web identity).
	AWSConfig func(ctx context.Context, region string) (aws.Config, error)
}

// Main runs kubectl tgc with args and returns its exit code: 0, 1 when
// diff found a difference, more on error.
func Main(ctx context.Context, args []string, out, errOut io.Writer, d Deps) int {
	if d.Clock == nil {
		d.Clock = clock.RealClock{}
	}
	o := &options{out: out, errOut: errOut, deps: d}
	root := o.root()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err != nil && err.Error() != "" {
		fmt.Fprintln(errOut, "error:", err)
	}
	return codeOf(err)
}

func (o *options) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-tgc",
		Short: "Look at and steer TargetGroupController's bindings",
		Long: `kubectl tgc shows what TargetGroupController (tgc) does with each
TargetGroupBinding, what it would change, and why a pod gets no traffic.
It reads the cluster with your kubeconfig and AWS with your standard AWS
credentials, and never writes to AWS.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl tgc"},
	}
	o.bind(root.PersistentFlags())
	root.AddCommand(o.statusCommand(), o.diffCommand(), o.whyCommand(), o.pauseCommand(true), o.pauseCommand(false), o.migrateCommand())
	return root
}
