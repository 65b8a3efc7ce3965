package certs

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Rotator keeps the webhook's serving certificate and caBundle current. It is
// a manager.Runnable that runs on every replica.
type Rotator struct {
	opts    Options
	want    want
	store   secretStore
	c       client.Client
	clock   clock.WithTicker
	log     logr.Logger
	serving atomic.Pointer[tls.Certificate]
}

var (
	_ manager.Runnable               = (*Rotator)(nil)
	_ manager.LeaderElectionRunnable = (*Rotator)(nil)
)

// New returns a Rotator. c must read straight from the API server, not from
// the manager's cache: a cached Get on a Secret would start a cluster-wide
// Secret informer, which needs far more RBAC than the one Secret this reads.
// Build it with client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme()}).
func New(c client.Client, opts Options, clk clock.WithTicker, log logr.Logger) (*Rotator, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("webhook certificate options: %w", err)
	}
	return &Rotator{
		opts:  opts,
		want:  want{DNSNames: opts.dnsNames(), IPs: opts.ExtraIPs, CAValidity: opts.CAValidity, CertValidity: opts.CertValidity},
		store: secretStore{c: c, key: client.ObjectKey{Namespace: opts.Namespace, Name: opts.SecretName}},
		c:     c,
		clock: clk,
		log:   log.WithValues("secret", klog.KRef(opts.Namespace, opts.SecretName), "webhookConfigurations", opts.WebhookConfigs),
	}, nil
}

// NeedLeaderElection is false: every replica serves the webhook, so every
// replica needs the certificate.
func (r *Rotator) NeedLeaderElection() bool { return false }

// Start makes sure a certificate is served, then re-checks every
// CheckInterval until ctx ends. Failures are logged and retried at the next
// check; they never stop the manager, since the webhook is optional to the
// controller's main job.
func (r *Rotator) Start(ctx context.Context) error {
	r.check(ctx)
	ticker := r.clock.NewTicker(r.opts.CheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
			r.check(ctx)
		}
	}
}

func (r *Rotator) check(ctx context.Context) {
	if err := r.Ensure(ctx); err != nil {
		r.log.Error(err, "Keeping the webhook serving certificate current; retrying", "retryIn", r.opts.CheckInterval)
	}
}

// Ensure runs one check: it loads the shared Secret, renews what is due
// (losing a race to another replica means using that replica's result),
// patches the caBundle and only then serves the new certificate, so that the
// API server already trusts the CA of whatever this replica serves.
func (r *Rotator) Ensure(ctx context.Context) error {
	b, err := r.current(ctx)
	if err != nil {
		return err
	}
	var errs []error
	// Checked every time, not only after a renewal: re-applying the
	// manifests (kubectl apply, GitOps) resets caBundle to empty.
	for _, w := range r.opts.WebhookConfigs {
		changed, err := patchCABundle(ctx, r.c, w, b.Trusted)
		if err != nil {
			errs = append(errs, err)
		} else if changed {
			r.log.Info("Patched webhook caBundle", "kind", w.Kind, "name", w.Name)
		}
	}
	cert, err := b.servingCertificate()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if prev := r.serving.Load(); prev == nil || !cert.Leaf.Equal(prev.Leaf) {
		r.log.Info("Serving webhook certificate", "serial", cert.Leaf.SerialNumber.String(), "notAfter", cert.Leaf.NotAfter)
		r.serving.Store(cert)
	}
	if r.opts.CertDir != "" {
		if err := writeFiles(r.opts.CertDir, b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// current returns a bundle that needs no renewal, renewing and storing it
// first if needed.
func (r *Rotator) current(ctx context.Context) (bundle, error) {
	const attempts = 3
	var lastErr error
	for range attempts {
		sec, err := r.store.load(ctx)
		if err != nil {
			return bundle{}, err
		}
		b := bundleFromData(sec.Data)
		now := r.clock.Now()
		due := decide(b, now, r.want)
		if !due.CA && !due.Serving {
			return b, nil
		}
		r.log.Info("Renewing webhook certificate", "reason", due.Reason, "newCA", due.CA)
		next, err := renew(b, due, now, r.want)
		if err != nil {
			return bundle{}, fmt.Errorf("renewing webhook certificate (%s): %w", due.Reason, err)
		}
		err = r.store.save(ctx, sec, next)
		if err == nil {
			return next, nil
		}
		var lost errLostRace
		if !errors.As(err, &lost) {
			return bundle{}, err
		}
		// Another replica renewed at the same moment; read its result.
		lastErr = err
	}
	return bundle{}, fmt.Errorf("storing webhook certificate after %d attempts: %w", attempts, lastErr)
}

// GetCertificate serves the current certificate; it fits
// tls.Config.GetCertificate.
func (r *Rotator) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := r.serving.Load()
	if c == nil {
		return nil, errors.New("webhook serving certificate not loaded yet")
	}
	return c, nil
}

// ConfigureTLS points a TLS config at GetCertificate; pass it in
// webhook.Options.TLSOpts. With it the webhook server reads no files.
func (r *Rotator) ConfigureTLS(cfg *tls.Config) {
	cfg.GetCertificate = r.GetCertificate
}

// ReadyCheck fails until a certificate is served; it fits healthz.Checker.
func (r *Rotator) ReadyCheck(*http.Request) error {
	if r.serving.Load() == nil {
		return errors.New("webhook serving certificate not loaded yet")
	}
	return nil
}
