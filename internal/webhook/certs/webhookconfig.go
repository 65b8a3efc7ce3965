package certs

import (
	"bytes"
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The rotator patches only the configurations config/webhook installs, by
// name; a merge patch needs no update verb.
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations;validatingwebhookconfigurations,verbs=get;patch,resourceNames=tgc-pod-readiness-gate;tgc-validation

// Kind is a kind of webhook configuration; both carry a caBundle per
// webhook.
type Kind string

const (
	KindMutating   Kind = "MutatingWebhookConfiguration"
	KindValidating Kind = "ValidatingWebhookConfiguration"
)

// WebhookConfig names one webhook configuration whose caBundle the Rotator
// keeps current.
type WebhookConfig struct {
	Kind Kind
	Name string
}

// Mutating and Validating name a configuration of each kind.
func Mutating(name string) WebhookConfig   { return WebhookConfig{Kind: KindMutating, Name: name} }
func Validating(name string) WebhookConfig { return WebhookConfig{Kind: KindValidating, Name: name} }

func (w WebhookConfig) String() string { return w.Kind.String() + " " + w.Name }

func (k Kind) String() string { return string(k) }

func (w WebhookConfig) newObject() (client.Object, error) {
	switch w.Kind {
	case KindMutating:
		return &admissionregistrationv1.MutatingWebhookConfiguration{}, nil
	case KindValidating:
		return &admissionregistrationv1.ValidatingWebhookConfiguration{}, nil
	}
	return nil, fmt.Errorf("unknown webhook configuration kind %q", w.Kind)
}

// clientConfigs points at the client config of every webhook of obj.
func clientConfigs(obj client.Object) []*admissionregistrationv1.WebhookClientConfig {
	var out []*admissionregistrationv1.WebhookClientConfig
	switch o := obj.(type) {
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for i := range o.Webhooks {
			out = append(out, &o.Webhooks[i].ClientConfig)
		}
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for i := range o.Webhooks {
			out = append(out, &o.Webhooks[i].ClientConfig)
		}
	}
	return out
}

// patchCABundle makes every webhook of the named configuration trust
// caBundle, and reports whether it had to change anything.
//
// The patch is a merge patch guarded by resourceVersion: webhooks is an
// atomic list in a JSON merge patch, so without the guard a concurrent edit
// to another field of a webhook could be reverted. Replicas starting together
// all patch at once, so a conflict is re-read and retried; usually the
// re-read shows another replica already wrote the same bundle.
func patchCABundle(ctx context.Context, c client.Client, w WebhookConfig, caBundle []byte) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cfg, err := w.newObject()
		if err != nil {
			return err
		}
		if err := c.Get(ctx, client.ObjectKey{Name: w.Name}, cfg); err != nil {
			return err
		}
		before := cfg.DeepCopyObject().(client.Object)
		changed = false
		for _, cc := range clientConfigs(cfg) {
			if !bytes.Equal(cc.CABundle, caBundle) {
				cc.CABundle = caBundle
				changed = true
			}
		}
		if !changed {
			return nil
		}
		return c.Patch(ctx, cfg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return false, fmt.Errorf("setting caBundle of %s: %w", w, err)
	}
	return changed, nil
}
