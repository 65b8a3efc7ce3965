package identity

import (
	"context"
	"fmt"
	"os"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
)

// tokenTTL outlives any test run (make test gives go test 45 minutes); the
// token dies with the test cluster anyway.
const tokenTTL = 24 * time.Hour

// requestToken asks the TokenRequest API for a token of the ServiceAccount,
// as the kubelet does for a pod's projected token.
func requestToken(ctx context.Context, admin kubernetes.Interface, namespace, name string) (string, error) {
	tr, err := admin.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(tokenTTL.Seconds()))},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

// tokenConfig is admin's server, CA and client settings (QPS, timeouts)
// with none of its credentials: the token is all it authenticates with.
func tokenConfig(admin *rest.Config, token string) *rest.Config {
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = token
	return cfg
}

// kubeconfig renders cfg (a tokenConfig) for a binary that reads a
// kubeconfig file: the server, its CA and the token, nothing else.
func kubeconfig(cfg *rest.Config, user string) ([]byte, error) {
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("reading the API server's CA: %w", err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca, TLSServerName: cfg.ServerName}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts[user] = &clientcmdapi.Context{Cluster: "test", AuthInfo: user}
	kc.CurrentContext = user
	out, err := clientcmd.Write(*kc)
	if err != nil {
		return nil, fmt.Errorf("rendering the kubeconfig of %s: %w", user, err)
	}
	return out, nil
}
