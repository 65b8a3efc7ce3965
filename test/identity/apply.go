package identity

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldManager owns what apply writes. Server-side apply makes a second
// Install of the same identity (another test package's, or after an edit of
// config/rbac) leave the objects exactly as rendered, rules dropped
// included.
const fieldManager = "tgc-test-identity"

// apply server-side applies the manifests in order, as the admin.
func apply(ctx context.Context, admin *rest.Config, m *manifests) error {
	c, err := client.New(admin, client.Options{})
	if err != nil {
		return fmt.Errorf("building the admin client: %w", err)
	}
	for _, obj := range m.objects() {
		u, err := toUnstructured(obj)
		if err != nil {
			return err
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), client.ObjectKeyFromObject(u), err)
		}
	}
	return nil
}

func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	gvks, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil {
		return nil, fmt.Errorf("finding the kind of %T: %w", obj, err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %T: %w", obj, err)
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvks[0])
	return u, nil
}
