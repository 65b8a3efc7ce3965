package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// Options make a variant of the shipped identity; the zero value is the
// shipped identity itself.
type Options struct {
	// Suffix is appended to the names of the ServiceAccount, the roles and
	// the bindings, so that the variant stands beside the shipped identity
	// in one cluster. Required with Revoke, which would otherwise change
	// the identity that every other test's controller runs as.
	Suffix string
	// Revoke takes each rule's verbs on its API groups and resources away
	// from every shipped role: a rule missing from config/rbac.
	Revoke []rbacv1.PolicyRule
	// Rendered is the install to take the identity from, e.g. `helm
	// template` of the chart; empty means config/default.
	Rendered []byte
}

// Identity is a ServiceAccount with the shipped RBAC and a token of it.
type Identity struct {
	// Namespace is the ServiceAccount's: the namespace the controller runs
	// in, which its namespaced Roles (leader election, the ownership
	// ledger, the webhook's certificate) are for.
	Namespace      string
	ServiceAccount string
	// Config reaches the API server with the token alone.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file holding the server, its
	// CA and the token, for a controller binary.
	Kubeconfig string
}

// Username is the identity as the API server names it in a denial.
func (id *Identity) Username() string {
	return "system:serviceaccount:" + id.Namespace + ":" + id.ServiceAccount
}

// Install applies the identity's part of config/default to the cluster
// (through the admin config), requests a token of its ServiceAccount and
// returns once the API server authorizes that token as the roles say.
func Install(ctx context.Context, c *testcluster.Cluster, o Options) (*Identity, error) {
	if len(o.Revoke) > 0 && o.Suffix == "" {
		return nil, errors.New("a variant that revokes rules needs a Suffix of its own")
	}
	var m *manifests
	var err error
	if len(o.Rendered) > 0 {
		m, err = decode(bytes.NewReader(o.Rendered))
	} else {
		m, err = shipped(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the install's identity: %w", err)
	}
	m.rename(o.Suffix)
	if err := m.revoke(o.Revoke); err != nil {
		return nil, err
	}
	if n := len(m.serviceAccounts); n != 1 {
		return nil, fmt.Errorf("config/default has %d ServiceAccounts; the controller's identity is one", n)
	}
	sa := m.serviceAccounts[0]
	if err := apply(ctx, c.Config, m); err != nil {
		return nil, err
	}
	token, err := requestToken(ctx, c.Client, sa.Namespace, sa.Name)
	if err != nil {
		return nil, err
	}
	id := &Identity{Namespace: sa.Namespace, ServiceAccount: sa.Name, Config: tokenConfig(c.Config, token)}
	kc, err := kubeconfig(id.Config, sa.Name)
	if err != nil {
		return nil, err
	}
	id.Kubeconfig = filepath.Join(c.Dir, "kubeconfig-"+sa.Name)
	if err := os.WriteFile(id.Kubeconfig, kc, 0o600); err != nil {
		return nil, fmt.Errorf("writing the kubeconfig of %s: %w", sa.Name, err)
	}
	as, err := kubernetes.NewForConfig(id.Config)
	if err != nil {
		return nil, fmt.Errorf("building a client as %s: %w", id.Username(), err)
	}
	if err := waitAuthorized(ctx, as, m); err != nil {
		return nil, fmt.Errorf("waiting for the API server to authorize %s: %w", id.Username(), err)
	}
	return id, nil
}

// shipped renders config/default, the one-command install.
func shipped(ctx context.Context) (*manifests, error) {
	assets, err := testcluster.Assets(ctx)
	if err != nil {
		return nil, err
	}
	root, err := testcluster.ModuleRoot()
	if err != nil {
		return nil, err
	}
	return render(ctx, filepath.Join(assets, "kubectl"), filepath.Join(root, "config", "default"))
}
