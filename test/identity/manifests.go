package identity

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of an install that make up the controller's
// identity; the rest (CRDs, the Deployment, Services, webhook
// configurations) is left out.
type manifests struct {
	namespaces          []*corev1.Namespace
	serviceAccounts     []*corev1.ServiceAccount
	roles               []*rbacv1.Role
	clusterRoles        []*rbacv1.ClusterRole
	roleBindings        []*rbacv1.RoleBinding
	clusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// render builds the kustomization in dir with kubectl's built-in kustomize,
// so that what is applied is what a user's `kubectl apply -k dir` applies:
// the files the kustomization lists, in the namespace it sets.
func render(ctx context.Context, kubectl, dir string) (*manifests, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kubectl kustomize %s: %w: %s", dir, err, errOut.Bytes())
	}
	m, err := decode(&out)
	if err != nil {
		return nil, fmt.Errorf("reading the output of kubectl kustomize %s: %w", dir, err)
	}
	return m, nil
}

// decode keeps the identity's kinds from a multi-document YAML stream.
func decode(r io.Reader) (*manifests, error) {
	m := &manifests{}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if err := m.add(doc); err != nil {
			return nil, err
		}
	}
}

func (m *manifests) add(doc []byte) error {
	var meta struct{ Kind string }
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	switch meta.Kind {
	case "Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
	default:
		return nil
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
	if err != nil {
		return fmt.Errorf("decoding a %s: %w", meta.Kind, err)
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		m.namespaces = append(m.namespaces, o)
	case *corev1.ServiceAccount:
		m.serviceAccounts = append(m.serviceAccounts, o)
	case *rbacv1.Role:
		m.roles = append(m.roles, o)
	case *rbacv1.ClusterRole:
		m.clusterRoles = append(m.clusterRoles, o)
	case *rbacv1.RoleBinding:
		m.roleBindings = append(m.roleBindings, o)
	case *rbacv1.ClusterRoleBinding:
		m.clusterRoleBindings = append(m.clusterRoleBindings, o)
	default:
		return fmt.Errorf("a %s decoded as %T", meta.Kind, obj)
	}
	return nil
}

// objects are the manifests in the order they can be applied: namespaces
// before what they hold, and roles before the bindings that name them.
func (m *manifests) objects() []runtime.Object {
	out := appendObjects(nil, m.namespaces)
	out = appendObjects(out, m.serviceAccounts)
	out = appendObjects(out, m.roles)
	out = appendObjects(out, m.clusterRoles)
	out = appendObjects(out, m.roleBindings)
	return appendObjects(out, m.clusterRoleBindings)
}

func appendObjects[T runtime.Object](out []runtime.Object, objs []T) []runtime.Object {
	for _, o := range objs {
		out = append(out, o)
	}
	return out
}
