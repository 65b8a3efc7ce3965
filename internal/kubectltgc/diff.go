package kubectltgc

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func (o *options) diffCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "diff [BINDING]",
		Short: "What tgc would register and deregister right now",
		Long: `diff works out each binding's plan as a sync would, with the controller's
own code: it reads the Service's EndpointSlices, pods, readiness gates,
ownership and the deregistration brake from the cluster, and the target
group from DescribeTargetHealth. It writes nothing.

It exits 0 when no target group differs from what its binding wants, 1
when one does (changes due, or removals held back), and 2 on error or
when a binding cannot be planned (refused, or its input is wrong).

It knows only what the cluster and AWS say now: the controller may hold
a removal that diff lists as a deregistration when it saw the Service
edited, or release one diff lists as held when it saw the pod deleted.`,
		Example: `  kubectl tgc diff web -n shop
  kubectl tgc diff -A -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var list []v1alpha1.TargetGroupBinding
			if len(args) == 1 {
				tgb, err := getBinding(ctx, s.kube, s.namespace, args[0])
				if err != nil {
					return err
				}
				list = append(list, *tgb)
			} else if list, err = listBindings(ctx, s.kube, s.namespace, all); err != nil {
				return err
			}
			if len(list) == 0 {
				_, err := fmt.Fprintf(o.errOut, "No TargetGroupBindings found in %s.\n", where(s.namespace, all))
				return err
			}
			planner, err := o.planner(ctx, s)
			if err != nil {
				return err
			}
			out := diffList{Items: []bindingDiff{}}
			code := exitOK
			for i := range list {
				p, err := preview(ctx, planner, &list[i])
				if err != nil {
					return err
				}
				d := diffOf(&list[i], p)
				switch {
				case d.StopReason != "":
					code = exitError
				case d.differs() && code == exitOK:
					code = exitDiffers
				}
				out.Items = append(out.Items, d)
			}
			if o.output != "" {
				err = printData(o.out, o.output, out)
			} else {
				err = writeDiffs(o.out, o.errOut, out.Items, all, o.colour())
			}
			if err != nil {
				return err
			}
			return &exitCode{code: code}
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "Diff the bindings of every namespace.")
	return cmd
}
