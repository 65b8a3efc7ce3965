package kubectltgc

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
)

func (o *options) statusCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "status [BINDING]",
		Short: "Each binding's target group, Ready condition, counts and last sync; with a name, one row per target",
		Long: `Without a name, status lists the bindings of the namespace (-n) or of
every namespace (-A) from their status; it needs no AWS credentials.

With a name, it reads the target group's health from AWS and shows one row
per target: the pod or node behind it, the ELB state and reason, the pod's
readiness gate, and how long it has been so, with what a sync would do now.`,
		Example: `  kubectl tgc status -A
  kubectl tgc status web -n shop
  kubectl tgc status web -n shop -o yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return o.statusList(cmd.Context(), s, all)
			}
			if all {
				return &exitCode{exitError, fmt.Errorf("a binding is named in one namespace: use -n, not -A, with %s", args[0])}
			}
			return o.statusOne(cmd.Context(), s, args[0])
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "List the bindings of every namespace.")
	return cmd
}

func (o *options) statusList(ctx context.Context, s *session, all bool) error {
	list, err := listBindings(ctx, s.kube, s.namespace, all)
	if err != nil {
		return err
	}
	out := summaryList{Items: make([]bindingSummary, 0, len(list))}
	for i := range list {
		out.Items = append(out.Items, summarize(&list[i]))
	}
	if o.output != "" {
		return printData(o.out, o.output, out)
	}
	if len(out.Items) == 0 {
		_, err := fmt.Fprintf(o.errOut, "No TargetGroupBindings found in %s.\n", where(s.namespace, all))
		return err
	}
	if err := writeSummaries(o.out, out.Items, all, o.deps.Clock.Now(), o.colour()); err != nil {
		return err
	}
	warnings(o.errOut, out.Items)
	return nil
}

func (o *options) statusOne(ctx context.Context, s *session, name string) error {
	tgb, err := getBinding(ctx, s.kube, s.namespace, name)
	if err != nil {
		return err
	}
	planner, err := o.planner(ctx, s)
	if err != nil {
		return err
	}
	p, err := preview(ctx, planner, tgb)
	if err != nil {
		return err
	}
	pods, err := podsOf(ctx, s, tgb.Namespace, p)
	if err != nil {
		return err
	}
	var nodes []corev1.Node
	if tgb.Spec.TargetType == v1alpha1.TargetTypeInstance {
		var list corev1.NodeList
		if err := s.kube.List(ctx, &list); err != nil {
			return &exitCode{exitError, fmt.Errorf("listing nodes: %w", err)}
		}
		nodes = list.Items
	}
	d := detail(tgb, p, pods, nodes)
	if o.output != "" {
		return printData(o.out, o.output, d)
	}
	if err := writeDetail(o.out, d, o.deps.Clock.Now(), o.colour()); err != nil {
		return err
	}
	warnings(o.errOut, []bindingSummary{d.bindingSummary})
	return nil
}

// podsOf reads the pods behind the preview's endpoints, by name.
func podsOf(ctx context.Context, s *session, ns string, p binding.Preview) (map[string]*corev1.Pod, error) {
	pods := map[string]*corev1.Pod{}
	for _, pe := range p.Desired.Pods {
		pod := &corev1.Pod{}
		err := s.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: pe.Name}, pod)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, &exitCode{exitError, fmt.Errorf("reading pod %s/%s: %w", ns, pe.Name, err)}
		}
		pods[pe.Name] = pod
	}
	return pods, nil
}
