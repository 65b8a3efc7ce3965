package kubectltgc

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
)

// pauseCommand is pause (paused true) or resume (false): a merge patch of
// spec.paused, the one write kubectl tgc makes, to the cluster only.
func (o *options) pauseCommand(paused bool) *cobra.Command {
	use, short, verb := "pause BINDING", "Stop tgc's AWS writes for a binding (spec.paused: true)", "paused"
	if !paused {
		use, short, verb = "resume BINDING", "Let tgc write to AWS for a paused binding again (spec.paused: false)", "resumed"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			tgb, err := getBinding(ctx, s.kube, s.namespace, args[0])
			if err != nil {
				return err
			}
			already := tgb.Spec.Paused == paused
			if !already {
				patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"paused":%t}}`, paused))
				if err := s.kube.Patch(ctx, tgb, patch); err != nil {
					return &exitCode{exitError, fmt.Errorf("setting spec.paused of targetgroupbinding %s/%s: %w", tgb.Namespace, tgb.Name, err)}
				}
			}
			if o.output != "" {
				tgb.APIVersion, tgb.Kind = v1alpha1.GroupVersion.String(), "TargetGroupBinding"
				return printData(o.out, o.output, tgb)
			}
			note := verb
			if already {
				note = "already " + verb
			}
			fmt.Fprintf(o.out, "targetgroupbinding.%s/%s %s\n", v1alpha1.GroupVersion.Group, tgb.Name, note)
			if paused {
				fmt.Fprintf(o.errOut, "Warning: tgc makes no AWS writes for binding %s/%s until kubectl tgc resume %s. %s\n", tgb.Namespace, tgb.Name, tgb.Name, binding.PauseCosts)
			}
			return nil
		},
	}
	if paused {
		cmd.Long = "pause sets spec.paused on the binding: tgc makes no AWS writes for it, keeps reading, and reports Ready=False with reason Paused and what it would do. " + binding.PauseCosts
	} else {
		cmd.Long = "resume clears spec.paused: tgc applies at once what changed during the pause (kubectl tgc diff shows it beforehand)."
	}
	return cmd
}
