package identity

import (
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The controller binary must authenticate with the token and nothing else:
// a client certificate of the admin left in the kubeconfig would let it act
// as system:masters, and no missing rule would ever fail a test.
func TestTheTokenIsAllTheKubeconfigAuthenticatesWith(t *testing.T) {
	admin := &rest.Config{
		Host:            "https://127.0.0.1:6443",
		TLSClientConfig: rest.TLSClientConfig{CAData: []byte("ca"), CertData: []byte("admin-cert"), KeyData: []byte("admin-key")},
		Username:        "admin",
		Password:        "secret",
		QPS:             1000,
	}
	cfg := tokenConfig(admin, "the-token")
	if cfg.CertData != nil || cfg.KeyData != nil || cfg.Username != "" || cfg.Password != "" {
		t.Errorf("the token config keeps the admin's credentials: %+v", cfg)
	}
	if cfg.BearerToken != "the-token" || string(cfg.CAData) != "ca" || cfg.QPS != 1000 {
		t.Errorf("the token config lost the token, the CA or the client settings: %+v", cfg)
	}

	raw, err := kubeconfig(cfg, "ctl")
	if err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(kc.AuthInfos) != 1 {
		t.Fatalf("kubeconfig has users %v, want one", kc.AuthInfos)
	}
	u := kc.AuthInfos["ctl"]
	if u == nil || u.Token != "the-token" || u.ClientCertificateData != nil || u.ClientKeyData != nil || u.Username != "" || u.Exec != nil || u.AuthProvider != nil || u.Impersonate != "" {
		t.Errorf("kubeconfig user is %+v, want the token alone", u)
	}
	loaded, err := clientcmd.RESTConfigFromKubeConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Host != admin.Host || string(loaded.CAData) != "ca" || loaded.BearerToken != "the-token" {
		t.Errorf("kubeconfig loads as host %s, CA %q, token %q", loaded.Host, loaded.CAData, loaded.BearerToken)
	}
}
