package certs

import (
	"bytes"
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// patchCABundle makes every webhook of the named MutatingWebhookConfiguration
// trust caBundle, and reports whether it had to change anything.
//
// The patch is a merge patch guarded by resourceVersion: webhooks is an
// atomic list in a JSON merge patch, so without the guard a concurrent edit
// to another field of a webhook could be reverted. Replicas starting together
// all patch at once, so a conflict is re-read and retried; usually the
// re-read shows another replica already wrote the same bundle.
func patchCABundle(ctx context.Context, c client.Client, name string, caBundle []byte) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cfg admissionregistrationv1.MutatingWebhookConfiguration
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &cfg); err != nil {
			return err
		}
		before := cfg.DeepCopy()
		changed = false
		for i := range cfg.Webhooks {
			if !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, caBundle) {
				cfg.Webhooks[i].ClientConfig.CABundle = caBundle
				changed = true
			}
		}
		if !changed {
			return nil
		}
		return c.Patch(ctx, &cfg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	})
	if err != nil {
		return false, fmt.Errorf("setting caBundle of MutatingWebhookConfiguration %s: %w", name, err)
	}
	return changed, nil
}
