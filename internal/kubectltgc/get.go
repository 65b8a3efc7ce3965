package kubectltgc

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// getBinding reads a binding, and says how to find the right name when
// there is none.
func getBinding(ctx context.Context, kube client.Reader, ns, name string) (*v1alpha1.TargetGroupBinding, error) {
	tgb := &v1alpha1.TargetGroupBinding{}
	err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, tgb)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &exitCode{exitError, fmt.Errorf("targetgroupbinding %q not found in namespace %q; list the bindings with kubectl tgc status -n %s, or every namespace's with -A", name, ns, ns)}
	case err != nil:
		return nil, &exitCode{exitError, fmt.Errorf("reading targetgroupbinding %s/%s: %w", ns, name, err)}
	}
	return tgb, nil
}

// where names the namespaces a list covers, as kubectl does when it finds
// nothing.
func where(ns string, all bool) string {
	if all {
		return "any namespace"
	}
	return "namespace " + ns
}

// listBindings reads the bindings of ns, or of every namespace when all.
func listBindings(ctx context.Context, kube client.Reader, ns string, all bool) ([]v1alpha1.TargetGroupBinding, error) {
	var list v1alpha1.TargetGroupBindingList
	var opts []client.ListOption
	if !all {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := kube.List(ctx, &list, opts...); err != nil {
		return nil, &exitCode{exitError, fmt.Errorf("listing targetgroupbindings: %w", err)}
	}
	return list.Items, nil
}
