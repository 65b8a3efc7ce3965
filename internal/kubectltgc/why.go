package kubectltgc

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/explain"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// whyOutput is why's output.
type whyOutput struct {
	Pod      string            `json:"pod"`
	Findings []explain.Finding `json:"findings"`
}

func (o *options) whyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "why POD",
		Short: "Why a pod is not Ready or gets no traffic from its load balancer",
		Long: `why follows the path from a pod to its load balancer and says, as a short
chain of facts, where it breaks: no Service selects the pod, no binding
binds the Service, the binding is refused or paused or its port is not
in the Service, the endpoint is not ready, the target is not registered
or unhealthy (with AWS's reason), the readiness gate waits, or the brake
holds a deregistration.`,
		Example: `  kubectl tgc why web-7d9f8-abcde -n shop`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session()
			if err != nil {
				return err
			}
			f, err := o.gatherWhy(cmd.Context(), s, args[0])
			if err != nil {
				return err
			}
			out := whyOutput{Pod: s.namespace + "/" + args[0], Findings: explain.Explain(f, o.deps.Clock.Now())}
			if o.output != "" {
				return printData(o.out, o.output, out)
			}
			return writeWhy(o.out, out, o.colour())
		},
	}
}

// gatherWhy reads the pod, the Services that select it, and the preview
// of every binding of those Services or whose gate the pod carries.
func (o *options) gatherWhy(ctx context.Context, s *session, name string) (explain.Facts, error) {
	pod := &corev1.Pod{}
	err := s.kube.Get(ctx, types.NamespacedName{Namespace: s.namespace, Name: name}, pod)
	switch {
	case apierrors.IsNotFound(err):
		return explain.Facts{}, &exitCode{exitError, fmt.Errorf("pod %q not found in namespace %q; check the name, or pass the pod's namespace with -n", name, s.namespace)}
	case err != nil:
		return explain.Facts{}, &exitCode{exitError, fmt.Errorf("reading pod %s/%s: %w", s.namespace, name, err)}
	}
	f := explain.Facts{Pod: podFacts(pod)}
	var svcs corev1.ServiceList
	if err := s.kube.List(ctx, &svcs, client.InNamespace(pod.Namespace)); err != nil {
		return f, &exitCode{exitError, fmt.Errorf("listing the Services of namespace %s: %w", pod.Namespace, err)}
	}
	for _, svc := range svcs.Items {
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			f.Services = append(f.Services, svc.Name)
		}
	}
	bindings, err := listBindings(ctx, s.kube, pod.Namespace, false)
	if err != nil {
		return f, err
	}
	var node *corev1.Node
	var planner *binding.Planner
	for i := range bindings {
		tgb := &bindings[i]
		selects := slices.Contains(f.Services, tgb.Spec.ServiceRef.Name)
		if !selects && !podgate.HasGate(pod, tgb.Name) {
			continue
		}
		if node == nil && tgb.Spec.TargetType == v1alpha1.TargetTypeInstance && pod.Spec.NodeName != "" {
			node = &corev1.Node{}
			if err := s.kube.Get(ctx, types.NamespacedName{Name: pod.Spec.NodeName}, node); err != nil {
				return f, &exitCode{exitError, fmt.Errorf("reading node %s: %w", pod.Spec.NodeName, err)}
			}
		}
		if planner == nil {
			if planner, err = o.planner(ctx, s); err != nil {
				return f, err
			}
		}
		p, err := preview(ctx, planner, tgb)
		if err != nil {
			return f, err
		}
		f.Bindings = append(f.Bindings, bindingFacts(pod, tgb, p, selects, node))
	}
	return f, nil
}

var marks = map[explain.Level]cell{explain.OK: {"✓", green}, explain.Info: {"•", none}, explain.Problem: {"✗", red}}

func writeWhy(w io.Writer, out whyOutput, coloured bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Pod %s:\n", out.Pod)
	for _, f := range out.Findings {
		m := marks[f.Level]
		if coloured && m.c != none {
			m.text = string(m.c) + m.text + reset
		}
		fmt.Fprintf(&b, "  %s %s\n", m.text, f.Text)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
