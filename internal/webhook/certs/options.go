package certs

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Defaults chosen so that renewal happens rarely but well before expiry; a
// certificate is renewed once less than a third of its validity is left.
const (
	DefaultCAValidity    = 5 * 365 * 24 * time.Hour
	DefaultCertValidity  = 365 * 24 * time.Hour
	DefaultCheckInterval = time.Minute
)

// Options says which certificate to manage and where it goes.
type Options struct {
	// Namespace holds the Secret and the webhook Service: the controller's
	// own namespace.
	Namespace string
	// SecretName is the Secret shared by all replicas.
	SecretName string
	// ServiceName is the webhook Service; the certificate is valid for
	// <ServiceName>.<Namespace>.svc, the name the API server dials
	// (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#service-reference).
	ServiceName string
	// WebhookConfigs are the webhook configurations, of either kind, whose
	// caBundle the Rotator keeps current.
	WebhookConfigs []WebhookConfig
	// ExtraDNSNames and ExtraIPs are added to the certificate's SANs, e.g.
	// 127.0.0.1 when the API server reaches the webhook by URL in tests.
	ExtraDNSNames []string
	ExtraIPs      []net.IP
	// CertDir, when set, receives tls.crt, tls.key and ca.crt, for a webhook
	// server that reads its certificate from files.
	CertDir string
	// CAValidity and CertValidity default to DefaultCAValidity and
	// DefaultCertValidity.
	CAValidity   time.Duration
	CertValidity time.Duration
	// CheckInterval is how often the Secret and the caBundle are re-checked;
	// DefaultCheckInterval when zero.
	CheckInterval time.Duration
}

func (o Options) withDefaults() Options {
	if o.CAValidity == 0 {
		o.CAValidity = DefaultCAValidity
	}
	if o.CertValidity == 0 {
		o.CertValidity = DefaultCertValidity
	}
	if o.CheckInterval == 0 {
		o.CheckInterval = DefaultCheckInterval
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	for field, v := range map[string]string{"Namespace": o.Namespace, "SecretName": o.SecretName, "ServiceName": o.ServiceName} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", field))
		}
	}
	if len(o.WebhookConfigs) == 0 {
		errs = append(errs, errors.New("WebhookConfigs is required"))
	}
	for _, w := range o.WebhookConfigs {
		if _, err := w.newObject(); err != nil {
			errs = append(errs, err)
		}
		if w.Name == "" {
			errs = append(errs, fmt.Errorf("a %s needs a name", w.Kind))
		}
	}
	if o.CertValidity > o.CAValidity {
		errs = append(errs, fmt.Errorf("CertValidity %s exceeds CAValidity %s", o.CertValidity, o.CAValidity))
	}
	if o.CertValidity < 0 || o.CAValidity < 0 || o.CheckInterval < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	return errors.Join(errs...)
}

// dnsNames are the names the serving certificate must cover. The short
// forms are what a Service reference may resolve to inside the cluster.
func (o Options) dnsNames() []string {
	names := []string{
		fmt.Sprintf("%s.%s.svc", o.ServiceName, o.Namespace),
		fmt.Sprintf("%s.%s.svc.cluster.local", o.ServiceName, o.Namespace),
		fmt.Sprintf("%s.%s", o.ServiceName, o.Namespace),
		o.ServiceName,
	}
	return append(names, o.ExtraDNSNames...)
}
