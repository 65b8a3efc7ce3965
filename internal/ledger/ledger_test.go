package ledger

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"

func TestLedger(t *testing.T) {
	cases := map[string]struct {
		steps func(ctx context.Context, l *Ledger) error
		// what a new process (a new leader) reads afterwards
		claimant string
		want     []string
	}{
		"a record survives the process that wrote it": {
			steps: func(ctx context.Context, l *Ledger) error {
				return l.Record(ctx, arn, "shop.web", []string{"10.0.0.1:80", "10.0.0.2:80"})
			},
			claimant: "shop.web", want: []string{"10.0.0.1:80", "10.0.0.2:80"},
		},
		"claimants of one group keep their own entries": {
			steps: func(ctx context.Context, l *Ledger) error {
				if err := l.Record(ctx, arn, "shop.web", []string{"10.0.0.1:80"}); err != nil {
					return err
				}
				return l.Record(ctx, arn, "team-b.api", []string{"10.0.9.9:80"})
			},
			claimant: "shop.web", want: []string{"10.0.0.1:80"},
		},
		"an empty record removes the entry": {
			steps: func(ctx context.Context, l *Ledger) error {
				if err := l.Record(ctx, arn, "shop.web", []string{"10.0.0.1:80"}); err != nil {
					return err
				}
				return l.Record(ctx, arn, "shop.web", nil)
			},
			claimant: "shop.web", want: nil,
		},
		"a group never recorded owns nothing": {
			steps:    func(context.Context, *Ledger) error { return nil },
			claimant: "shop.web", want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := runtime.NewScheme()
			if err := clientgoscheme.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			kube := fake.NewClientBuilder().WithScheme(s).Build()
			if err := tc.steps(ctx, New(kube, kube, "tgc-system")); err != nil {
				t.Fatal(err)
			}
			got, err := New(kube, kube, "tgc-system").Owned(ctx, arn, tc.claimant)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("owned = %q, want %q", got, tc.want)
			}
			cm := &corev1.ConfigMap{}
			if err := kube.Get(ctx, client.ObjectKey{Namespace: "tgc-system", Name: Name(arn)}, cm); err == nil && cm.Annotations[ARNAnnotation] != arn {
				t.Errorf("ConfigMap annotation = %q, want the ARN", cm.Annotations[ARNAnnotation])
			}
		})
	}
}

func TestARecordEqualToTheOneHeldWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).Build()
	l := New(kube, kube, "tgc-system")
	ts := []string{"10.0.0.1:80"}
	if err := l.Record(ctx, arn, "shop.web", ts); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{}
	if err := kube.Get(ctx, client.ObjectKey{Namespace: "tgc-system", Name: Name(arn)}, cm); err != nil {
		t.Fatal(err)
	}
	rv := cm.ResourceVersion
	if err := l.Record(ctx, arn, "shop.web", ts); err != nil {
		t.Fatal(err)
	}
	if err := kube.Get(ctx, client.ObjectKey{Namespace: "tgc-system", Name: Name(arn)}, cm); err != nil {
		t.Fatal(err)
	}
	if cm.ResourceVersion != rv {
		t.Errorf("an unchanged record was written again (resourceVersion %s -> %s)", rv, cm.ResourceVersion)
	}
}
