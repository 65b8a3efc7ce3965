package certs

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// managedByLabel marks the Secret as tgc's, for people wondering where it
// came from.
const managedByLabel = "app.kubernetes.io/managed-by"

// errLostRace reports that another replica wrote the Secret first; the
// caller re-reads and uses what that replica stored.
type errLostRace struct{ err error }

func (e errLostRace) Error() string {
	return "another replica changed the certificate Secret: " + e.err.Error()
}
func (e errLostRace) Unwrap() error { return e.err }

// secretStore reads and writes the one Secret replicas share. Writes are
// optimistic: Create fails if the Secret appeared meanwhile and Update
// carries the resourceVersion read, so two replicas renewing at once cannot
// overwrite each other's certificate unseen.
type secretStore struct {
	c   client.Client
	key client.ObjectKey
}

// load returns the Secret, or an empty one (no resourceVersion) when it does
// not exist yet.
func (s secretStore) load(ctx context.Context) (*corev1.Secret, error) {
	var sec corev1.Secret
	err := s.c.Get(ctx, s.key, &sec)
	if apierrors.IsNotFound(err) {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.key.Namespace, Name: s.key.Name}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("getting Secret %s: %w", s.key, err)
	}
	return &sec, nil
}

// save stores b in sec, creating the Secret when it has never been read
// from the API.
func (s secretStore) save(ctx context.Context, sec *corev1.Secret, b bundle) error {
	sec = sec.DeepCopy()
	sec.Data = b.data()
	if sec.Labels == nil {
		sec.Labels = map[string]string{}
	}
	sec.Labels[managedByLabel] = "targetgroupcontroller"
	if sec.ResourceVersion == "" {
		// kubernetes.io/tls requires tls.crt and tls.key and allows more
		// keys; the type cannot change later, so only set it on create.
		sec.Type = corev1.SecretTypeTLS
		err := s.c.Create(ctx, sec)
		if apierrors.IsAlreadyExists(err) {
			return errLostRace{err}
		}
		if err != nil {
			return fmt.Errorf("creating Secret %s: %w", s.key, err)
		}
		return nil
	}
	err := s.c.Update(ctx, sec)
	if apierrors.IsConflict(err) {
		return errLostRace{err}
	}
	if err != nil {
		return fmt.Errorf("updating Secret %s: %w", s.key, err)
	}
	return nil
}
