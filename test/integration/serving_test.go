package integration

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// TestMetricsAreServedOnlyToScrapersTheAPIServerAllows starts the
// controller with its production metrics settings and scrapes /metrics as
// nobody, as a ServiceAccount bound to the shipped metrics-reader
// ClusterRole, and as one without it.
func TestMetricsAreServedOnlyToScrapersTheAPIServerAllows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.controllerOptions()
	o.MetricsAddr = loopbackAddr(t)
	e.startController(o)
	url := "https://" + o.MetricsAddr + "/metrics"
	// The certificate is self-signed, generated in memory at start.
	scraper := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	e.waitServing(o.MetricsAddr)

	reader := e.serviceAccount("scraper")
	e.bindShippedMetricsReader(reader)
	stranger := e.serviceAccount("stranger")

	t.Run("an unauthenticated scrape is refused", func(t *testing.T) {
		if code, _ := scrape(t, scraper, url, ""); code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Errorf("scrape without a token: HTTP %d, want 401 or 403", code)
		}
	})
	t.Run("a ServiceAccount bound to the metrics-reader role may scrape", func(t *testing.T) {
		token := e.token(reader)
		// RBAC reaches the API server's authorizer through an informer,
		// and the controller caches a denial for a while; poll.
		e.eventually(time.Minute, "a scrape with the metrics reader's token to succeed", func() (bool, string) {
			code, body := scrape(t, scraper, url, token)
			return code == http.StatusOK && strings.Contains(body, "controller_runtime_"), fmt.Sprintf("HTTP %d: %.200s", code, body)
		})
	})
	t.Run("a ServiceAccount without the role is refused", func(t *testing.T) {
		if code, body := scrape(t, scraper, url, e.token(stranger)); code != http.StatusForbidden {
			t.Errorf("scrape as a ServiceAccount without the role: HTTP %d, want 403: %.200s", code, body)
		}
	})
	t.Run("a made-up token is refused", func(t *testing.T) {
		// The API server's TokenReview answers with an error for a token
		// that is no JWT, which controller-runtime's filter turns into a
		// 500; what matters is that no metric is served.
		if code, body := scrape(t, scraper, url, "not-a-token"); code == http.StatusOK || strings.Contains(body, "controller_runtime_") {
			t.Errorf("scrape with a made-up token: HTTP %d, want a refusal: %.200s", code, body)
		}
	})
}

// TestWebhookAndMetricsServersRefuseHTTP2UnlessEnabled offers HTTP/2 from
// the client side to both TLS servers, with and without --enable-http2.
func TestWebhookAndMetricsServersRefuseHTTP2UnlessEnabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	certDir := servingCertDir(t)
	start := func(http2 bool) (metrics, webhook string) {
		o := e.controllerOptions()
		o.EnableHTTP2 = http2
		o.MetricsAddr = loopbackAddr(t)
		port, err := process.FreePortAllInterfaces() // the webhook listens on every address
		if err != nil {
			t.Fatal(err)
		}
		o.Webhook.Port = port
		o.Webhook.SelfManagedCerts = false
		o.Webhook.CertDir = certDir
		e.startController(o)
		webhookAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		e.waitServing(o.MetricsAddr)
		e.waitServing(webhookAddr)
		return "https://" + o.MetricsAddr + "/metrics", "https://" + webhookAddr + "/"
	}
	// The answer's status does not matter (401 from /metrics without a
	// token, 404 from the webhook's root); the protocol it came in does.
	proto := func(t *testing.T, url string) string {
		t.Helper()
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
			ForceAttemptHTTP2: true,
		}}
		resp, err := c.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Proto
	}

	metrics, webhook := start(false)
	t.Run("metrics server negotiates HTTP/1.1 by default", func(t *testing.T) {
		if got := proto(t, metrics); got != "HTTP/1.1" {
			t.Errorf("metrics answered in %s, want HTTP/1.1", got)
		}
	})
	t.Run("webhook server negotiates HTTP/1.1 by default", func(t *testing.T) {
		if got := proto(t, webhook); got != "HTTP/1.1" {
			t.Errorf("webhook answered in %s, want HTTP/1.1", got)
		}
	})
	metrics, webhook = start(true)
	t.Run("enable-http2 lets both servers negotiate HTTP/2", func(t *testing.T) {
		for name, url := range map[string]string{"metrics": metrics, "webhook": webhook} {
			if got := proto(t, url); got != "HTTP/2.0" {
				t.Errorf("%s answered in %s with --enable-http2, want HTTP/2.0", name, got)
			}
		}
	})
}

// loopbackAddr is a free loopback address for a server of the controller.
func loopbackAddr(t *testing.T) string {
	t.Helper()
	port, err := process.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// waitServing waits until addr accepts TLS connections.
func (e *env) waitServing(addr string) {
	e.t.Helper()
	e.eventually(30*time.Second, "a TLS server on "+addr, func() (bool, string) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	})
}

// servingCertDir writes a self-signed tls.crt and tls.key for 127.0.0.1,
// as cert-manager would mount them for the webhook.
func servingCertDir(t *testing.T) string {
	t.Helper()
	crt, key, err := certutil.GenerateSelfSignedCertKey("localhost", []net.IP{net.ParseIP("127.0.0.1")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"tls.crt": crt, "tls.key": key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func scrape(t *testing.T, c *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// serviceAccount creates a ServiceAccount in the test's namespace.
func (e *env) serviceAccount(name string) *corev1.ServiceAccount {
	e.t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
	e.create(sa)
	return sa
}

// token is a short-lived token of the ServiceAccount (TokenRequest).
func (e *env) token(sa *corev1.ServiceAccount) string {
	e.t.Helper()
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		e.t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(sa.Namespace).CreateToken(e.ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(600))},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("requesting a token for %s: %v", sa.Name, err)
	}
	return tr.Status.Token
}

// bindShippedMetricsReader installs config/rbac/metrics_reader_role.yaml
// (under a name of this test's own, since the cluster is shared) and binds
// the ServiceAccount to it, then waits until the API server's authorizer
// allows the ServiceAccount to get /metrics.
func (e *env) bindShippedMetricsReader(sa *corev1.ServiceAccount) {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "metrics_reader_role.yaml"))
	if err != nil {
		e.t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		e.t.Fatalf("reading the shipped metrics-reader role: %v", err)
	}
	role.Name = uniq(role.Name)
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: sa.Namespace}},
	}
	// Cluster-scoped: created as they are, without the world's namespace.
	for _, o := range []client.Object{role, binding} {
		if err := e.kube.Create(e.ctx, o); err != nil {
			e.t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
	e.t.Cleanup(func() {
		_ = e.kube.Delete(e.ctx, binding)
		_ = e.kube.Delete(e.ctx, role)
	})
	user := "system:serviceaccount:" + sa.Namespace + ":" + sa.Name
	e.eventually(30*time.Second, user+" to be allowed get /metrics", func() (bool, string) {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:                  user,
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"},
		}}
		if err := e.kube.Create(e.ctx, sar); err != nil {
			return false, err.Error()
		}
		return sar.Status.Allowed, sar.Status.Reason
	})
}
