package testcluster

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CreateNamespace creates a namespace named after prefix (lower-cased, cut
// to 40 characters, anything but letters and digits turned into '-') plus
// a generated suffix, and returns its name. Deleting it later deletes what
// it holds (the namespace controller) and the loopback kubelet drains its
// pods.
func (c *Cluster) CreateNamespace(ctx context.Context, prefix string) (string, error) {
	prefix = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, strings.ToLower(prefix))
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.Trim(prefix, "-") + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("creating a namespace for %s: %w", prefix, err)
	}
	return ns.Name, nil
}

// DeleteNamespace deletes the namespace; what it holds goes with it.
func (c *Cluster) DeleteNamespace(ctx context.Context, name string) error {
	return c.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
}
