package webhook

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/tgc-dev/targetgroupcontroller/internal/drain"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/certs"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/gateinjector"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/validation"
)

// Webhook is the assembled webhook: a server to hand to the manager's
// options, and the certificate rotator when certificates are self-managed.
type Webhook struct {
	// Server goes into ctrl.Options.WebhookServer; nil when the webhook is
	// off.
	Server crwebhook.Server
	// Rotator is nil unless certificates are self-managed.
	Rotator *certs.Rotator
	drain   drain.Margins
}

// Extra carries settings that are not the webhook's own flags.
type Extra struct {
	// TLSOpts change the server's TLS configuration after the certificate
	// is set up: the binary's TLS policy (HTTP/1.1 only unless
	// --enable-http2, a flag it shares with the metrics server).
	TLSOpts []func(*tls.Config)
	// Host the server listens on; empty means all interfaces. For tests.
	Host string
	// ExtraIPs are added to the self-managed certificate, e.g. 127.0.0.1
	// when the API server reaches the webhook by URL. For tests.
	ExtraIPs []net.IP
}

// New builds the webhook server and, with self-managed certificates, the
// rotator. Call it before ctrl.NewManager and pass Server in the manager's
// options; then call Register.
//
// The rotator gets its own uncached client: the manager's cache would watch
// Secrets cluster-wide, and the rotator reads just one Secret once a minute.
func New(cfg *rest.Config, scheme *runtime.Scheme, o Options, extra Extra, clk clock.WithTicker, log logr.Logger) (*Webhook, error) {
	if !o.Enabled() {
		return &Webhook{}, nil
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	serverOpts := crwebhook.Options{Host: extra.Host, Port: o.Port, CertDir: o.CertDir}
	w := &Webhook{drain: o.Drain}
	if o.SelfManagedCerts {
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			return nil, fmt.Errorf("creating the webhook certificate client: %w", err)
		}
		w.Rotator, err = certs.New(c, certs.Options{
			Namespace:      o.namespace(),
			SecretName:     o.SecretName,
			ServiceName:    o.ServiceName,
			WebhookConfigs: []certs.WebhookConfig{certs.Mutating(o.ConfigName), certs.Validating(o.ValidatingConfigName)},
			ExtraIPs:       extra.ExtraIPs,
		}, clk, log.WithName("webhook-certs"))
		if err != nil {
			return nil, err
		}
		// Served from memory: no file to write, so the container's root
		// filesystem can stay read-only and no volume is needed.
		serverOpts.TLSOpts = []func(*tls.Config){w.Rotator.ConfigureTLS}
	}
	serverOpts.TLSOpts = append(serverOpts.TLSOpts, extra.TLSOpts...)
	w.Server = crwebhook.NewServer(serverOpts)
	return w, nil
}

// Register serves the readiness-gate injection handler and the validation
// handlers, all reading through the manager's cache, and adds the rotator to
// the manager with a readiness check that passes once a certificate is
// served. home is the AWS region and account the validation holds ARNs to.
func (w *Webhook) Register(mgr manager.Manager, home validation.Home) error {
	if w.Server == nil {
		return nil
	}
	// The manager only runs its webhook server once GetWebhookServer has
	// been called, so register through it rather than through w.Server.
	srv := mgr.GetWebhookServer()
	gateinjector.Register(srv, mgr.GetClient(), gateinjector.Drain{Margins: w.drain, Events: mgr.GetEventRecorder("targetgroupcontroller-webhook")})
	validation.Register(srv, mgr.GetClient(), home)
	if err := mgr.AddReadyzCheck("webhook", srv.StartedChecker()); err != nil {
		return fmt.Errorf("adding the webhook readiness check: %w", err)
	}
	if w.Rotator == nil {
		return nil
	}
	if err := mgr.Add(w.Rotator); err != nil {
		return fmt.Errorf("adding the webhook certificate rotator: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook-certificate", w.Rotator.ReadyCheck); err != nil {
		return fmt.Errorf("adding the webhook certificate readiness check: %w", err)
	}
	return nil
}
