package webhook

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/drain"
)

// Options are the webhook's settings. The binary embeds them in its own
// options and binds them with BindFlags.
type Options struct {
	// Port of the webhook server; 0 turns the webhook server off.
	Port int
	// CertDir holds tls.crt and tls.key when certificates are not
	// self-managed, e.g. a cert-manager Secret mounted there.
	CertDir string
	// SelfManagedCerts makes tgc create, store, serve and rotate its own
	// certificate and keep the caBundle current. Turn it off to use
	// cert-manager (docs/readiness-gates.md).
	SelfManagedCerts bool
	// Namespace is the controller's namespace: it holds ServiceName and
	// SecretName. Empty means $POD_NAMESPACE (downward API).
	Namespace string
	// ServiceName is the Service in front of the webhook server.
	ServiceName string
	// SecretName is where self-managed certificates are shared by replicas.
	SecretName string
	// ConfigName is the MutatingWebhookConfiguration whose caBundle is kept
	// current.
	ConfigName string
	// ValidatingConfigName is the ValidatingWebhookConfiguration (bindings
	// and annotated Services) whose caBundle is kept current.
	ValidatingConfigName string
	// Drain holds the margins the pod webhook adds to a target group's
	// deregistration delay for bindings with drain.inject: true.
	Drain drain.Margins
}

// Names that config/webhook uses; a kustomize namePrefix must be matched by
// the flags.
const (
	DefaultServiceName = "tgc-webhook-service"
	DefaultSecretName  = "tgc-webhook-server-cert"
	DefaultConfigName  = "tgc-pod-readiness-gate"
	// DefaultValidatingConfigName is the ValidatingWebhookConfiguration.
	DefaultValidatingConfigName = "tgc-validation"
	DefaultPort                 = 9443
	DefaultCertDir              = "/tmp/k8s-webhook-server/serving-certs"
)

// DefaultOptions returns the defaults shown in --help.
func DefaultOptions() Options {
	return Options{
		Port:             DefaultPort,
		CertDir:          DefaultCertDir,
		SelfManagedCerts: true,
		ServiceName:      DefaultServiceName,
		SecretName:       DefaultSecretName,
		ConfigName:       DefaultConfigName,

		ValidatingConfigName: DefaultValidatingConfigName,
		Drain:                DefaultDrainMargins(),
	}
}

// DefaultDrainMargins are the margins docs/zero-downtime.md justifies:
// ALB stops sending new requests to a deregistered target within about 10 s
// as users measure it; NLB can take minutes, so NLB users raise
// --drain-propagation-margin. The cap keeps the AWS default delay (300 s)
// plus the margin from holding every pod for longer than five minutes.
func DefaultDrainMargins() drain.Margins {
	return drain.Margins{Propagation: 10 * time.Second, Shutdown: 5 * time.Second, MaxPreStop: 5 * time.Minute}
}

// BindFlags binds the options to fs, with their current values as defaults.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.Port, "webhook-port", o.Port, "Port of the webhook server (readiness-gate injection, validation of TargetGroupBindings and annotated Services); 0 turns the webhooks off.")
	fs.StringVar(&o.CertDir, "webhook-cert-dir", o.CertDir, "Directory holding tls.crt and tls.key for the webhook server; used only with --webhook-self-managed-certs=false (e.g. a cert-manager Secret mounted there).")
	fs.BoolVar(&o.SelfManagedCerts, "webhook-self-managed-certs", o.SelfManagedCerts, "Generate, share (through --webhook-secret-name), serve and rotate the webhook's certificate and keep the caBundle of --webhook-config-name current. Turn off to use cert-manager.")
	fs.StringVar(&o.Namespace, "webhook-namespace", o.Namespace, "Namespace of the webhook Service and certificate Secret; empty means $POD_NAMESPACE.")
	fs.StringVar(&o.ServiceName, "webhook-service-name", o.ServiceName, "Service in front of the webhook server; the self-managed certificate is valid for <name>.<namespace>.svc.")
	fs.StringVar(&o.SecretName, "webhook-secret-name", o.SecretName, "Secret holding the self-managed CA and serving certificate, shared by all replicas.")
	fs.StringVar(&o.ConfigName, "webhook-config-name", o.ConfigName, "MutatingWebhookConfiguration (readiness-gate injection) whose caBundle the self-managed certificates keep current.")
	fs.StringVar(&o.ValidatingConfigName, "webhook-validating-config-name", o.ValidatingConfigName, "ValidatingWebhookConfiguration (TargetGroupBindings and annotated Services) whose caBundle the self-managed certificates keep current.")
	fs.DurationVar(&o.Drain.Propagation, "drain-propagation-margin", o.Drain.Propagation, "For bindings with spec.drain.inject: added to the target group's deregistration delay for the serving container's preStop sleep: how long the load balancer keeps sending new requests after deregistration (about 10s on ALB as users measure it; NLB can take minutes, raise it there).")
	fs.DurationVar(&o.Drain.Shutdown, "drain-shutdown-margin", o.Drain.Shutdown, "For bindings with spec.drain.inject: added to the preStop sleep for the pod's terminationGracePeriodSeconds, the app's own time to exit after SIGTERM. A longer grace period set by the user is kept.")
	fs.DurationVar(&o.Drain.MaxPreStop, "drain-max-prestop", o.Drain.MaxPreStop, "For bindings with spec.drain.inject: the longest preStop sleep the webhook gives, whatever the deregistration delay.")
}

// Enabled reports whether the webhook server runs at all.
func (o Options) Enabled() bool { return o.Port != 0 }

// namespace resolves Namespace against the pod's environment.
func (o Options) namespace() string {
	if o.Namespace != "" {
		return o.Namespace
	}
	return os.Getenv("POD_NAMESPACE")
}

// Validate checks the options in one place.
func (o Options) Validate() error {
	if !o.Enabled() {
		return nil
	}
	var errs []error
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("--webhook-port must be 0 (off) or a port number, got %d", o.Port))
	}
	if o.SelfManagedCerts {
		if o.namespace() == "" {
			errs = append(errs, errors.New("--webhook-namespace is empty and $POD_NAMESPACE is not set; self-managed webhook certificates need the controller's namespace"))
		}
		for flag, v := range map[string]string{"--webhook-service-name": o.ServiceName, "--webhook-secret-name": o.SecretName, "--webhook-config-name": o.ConfigName, "--webhook-validating-config-name": o.ValidatingConfigName} {
			if v == "" {
				errs = append(errs, fmt.Errorf("%s must not be empty with --webhook-self-managed-certs", flag))
			}
		}
	} else if o.CertDir == "" {
		errs = append(errs, errors.New("--webhook-cert-dir must not be empty with --webhook-self-managed-certs=false"))
	}
	if o.Drain.Propagation < 0 || o.Drain.Shutdown < 0 {
		errs = append(errs, fmt.Errorf("--drain-propagation-margin and --drain-shutdown-margin must not be negative, got %s and %s", o.Drain.Propagation, o.Drain.Shutdown))
	}
	if o.Drain.MaxPreStop < time.Second {
		errs = append(errs, fmt.Errorf("--drain-max-prestop must be at least 1s, got %s", o.Drain.MaxPreStop))
	}
	return errors.Join(errs...)
}
