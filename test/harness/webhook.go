package harness

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/gateinjector"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// PodWebhook is the controller's pod webhook as a test serves it to the API
// server: on loopback, with a self-signed certificate written where
// --webhook-cert-dir reads it, as cert-manager would mount it.
type PodWebhook struct {
	Port    int
	CertDir string
	// CA is the certificate the API server trusts (self-signed, so the
	// serving certificate itself).
	CA []byte
}

// NewPodWebhook picks a port for the webhook, free on every address since
// the server listens on all, and writes a certificate for 127.0.0.1 into
// dir.
func NewPodWebhook(dir string) (*PodWebhook, error) {
	port, err := process.FreePortAllInterfaces()
	if err != nil {
		return nil, err
	}
	crt, key, err := certutil.GenerateSelfSignedCertKey("localhost", []net.IP{net.ParseIP("127.0.0.1")}, nil)
	if err != nil {
		return nil, fmt.Errorf("generating the webhook's certificate: %w", err)
	}
	for name, data := range map[string][]byte{"tls.crt": crt, "tls.key": key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("writing the webhook's %s: %w", name, err)
		}
	}
	return &PodWebhook{Port: port, CertDir: dir, CA: crt}, nil
}

// Config is a MutatingWebhookConfiguration like config/webhook's
// (failurePolicy Ignore, reinvocationPolicy IfNeeded, the injection label
// as namespaceSelector), pointed by URL at the webhook and narrowed to one
// namespace by name, so that tests running in parallel do not see each
// other's webhooks.
func (w *PodWebhook) Config(namespace string) *admissionregistrationv1.MutatingWebhookConfiguration {
	url := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(w.Port)) + gateinjector.Path
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "tgc-pods-" + namespace},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "pod-readiness-gate.elbv2.tgc.dev",
			AdmissionReviewVersions: []string{"v1"},
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: w.CA},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope)},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				corev1.LabelMetadataName:          namespace,
				v1alpha1.ReadinessGateInjectLabel: v1alpha1.ReadinessGateInjectEnabled,
			}},
			FailurePolicy:      ptr.To(admissionregistrationv1.Ignore),
			SideEffects:        ptr.To(admissionregistrationv1.SideEffectClassNone),
			ReinvocationPolicy: ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
			TimeoutSeconds:     ptr.To(int32(5)),
		}},
	}
}
