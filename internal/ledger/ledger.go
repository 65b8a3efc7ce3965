// Package ledger keeps, durably and in the cluster, which targets of a
// shared target group each Service's binding registered. ELBv2 targets
// carry no tags, so a binding's status is the only other record, and it
// goes with the binding: a binding deleted under a Retain policy, or with
// its Service, would leave targets no one owns. The ledger outlives the
// binding, so the binding of a recreated Service adopts what its
// predecessor registered, and removes it when it is no longer desired.
//
// One ConfigMap per target group, in tgc's own namespace (so tgc needs
// ConfigMap rights there only), holds one key per claimant: the binding's
// namespace and Service.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups="",namespace=tgc-system,resources=configmaps,verbs=get;create;update

// Label marks the ledger's ConfigMaps; ARNAnnotation names the group each
// one is about (the name holds only a hash of it, as ARNs are too long and
// carry characters names may not).
const (
	Label         = "elbv2.tgc.dev/owned-targets"
	ARNAnnotation = "elbv2.tgc.dev/target-group-arn"
)

// Ledger reads through an uncached reader, once per group and process, and
// keeps what it read or wrote in memory: only the leader writes it, so its
// memory is current between writes.
type Ledger struct {
	kube      client.Client
	reader    client.Reader
	namespace string

	mu     sync.Mutex
	groups map[string]map[string][]string // ARN -> claimant -> targets
}

// New returns a ledger kept in namespace.
func New(kube client.Client, reader client.Reader, namespace string) *Ledger {
	return &Ledger{kube: kube, reader: reader, namespace: namespace, groups: map[string]map[string][]string{}}
}

// Claimant names whose targets an entry lists: the Service, not the
// binding, so that a binding made again for the same Service inherits.
func Claimant(namespace, service string) string { return namespace + "." + service }

// Owned returns the targets ("ip:port") claimant registered in the group.
func (l *Ledger) Owned(ctx context.Context, arn, claimant string) ([]string, error) {
	entries, err := l.load(ctx, arn)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(entries[claimant]), nil
}

// Record makes ts (sorted, "ip:port") claimant's targets in the group; an
// empty ts removes the entry. A record equal to the one held costs nothing.
func (l *Ledger) Record(ctx context.Context, arn, claimant string, ts []string) error {
	entries, err := l.load(ctx, arn)
	if err != nil {
		return err
	}
	l.mu.Lock()
	same := slices.Equal(entries[claimant], ts)
	l.mu.Unlock()
	if same {
		return nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := l.get(ctx, arn)
		if err != nil {
			return err
		}
		create := cm == nil
		if create {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
				Namespace: l.namespace, Name: Name(arn),
				Labels:      map[string]string{Label: "true"},
				Annotations: map[string]string{ARNAnnotation: arn},
			}}
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		if len(ts) == 0 {
			delete(cm.Data, claimant)
		} else {
			cm.Data[claimant] = strings.Join(ts, "\n")
		}
		if create {
			return l.kube.Create(ctx, cm)
		}
		return l.kube.Update(ctx, cm)
	})
	if err != nil {
		return fmt.Errorf("recording the targets %s owns in %s: %w", claimant, arn, err)
	}
	l.mu.Lock()
	if len(ts) == 0 {
		delete(entries, claimant)
	} else {
		entries[claimant] = slices.Clone(ts)
	}
	l.mu.Unlock()
	return nil
}

// Name is the ConfigMap that holds a group's entries.
func Name(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return "tgc-owned-" + hex.EncodeToString(sum[:10])
}

func (l *Ledger) load(ctx context.Context, arn string) (map[string][]string, error) {
	l.mu.Lock()
	entries, ok := l.groups[arn]
	l.mu.Unlock()
	if ok {
		return entries, nil
	}
	cm, err := l.get(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("reading the owned targets of %s: %w", arn, err)
	}
	entries = map[string][]string{}
	if cm != nil {
		for claimant, v := range cm.Data {
			if v != "" {
				entries[claimant] = strings.Split(v, "\n")
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.groups[arn]; ok {
		return cur, nil
	}
	l.groups[arn] = entries
	return entries, nil
}

// get returns the group's ConfigMap, nil when there is none yet.
func (l *Ledger) get(ctx context.Context, arn string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{}
	err := l.reader.Get(ctx, types.NamespacedName{Namespace: l.namespace, Name: Name(arn)}, cm)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return cm, nil
}
