// Package scheme is the runtime scheme of tgc's Kubernetes clients: the
// Kubernetes types and tgc's own API. The controller's manager and kubectl
// tgc both build theirs here, so that the plugin need not link the
// manager, its webhooks and controllers, to read a binding.
package scheme

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// New returns a scheme holding the Kubernetes types and tgc's own.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding Kubernetes types to the scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("adding %s to the scheme: %w", v1alpha1.GroupVersion, err)
	}
	return s, nil
}
