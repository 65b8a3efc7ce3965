package binding

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestWatchedNamespaces(t *testing.T) {
	ns := func(name string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	cases := map[string]struct {
		watch []string
		ns    string
		want  bool
	}{
		"every namespace when none is named":  {ns: "shop", want: true},
		"a watched namespace":                 {watch: []string{"shop", "pay"}, ns: "pay", want: true},
		"a namespace the cache does not hold": {watch: []string{"shop"}, ns: "kube-system", want: false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := watched(c.watch).Generic(event.GenericEvent{Object: ns(c.ns)}); got != c.want {
				t.Errorf("watched(%v) passes %s: %v, want %v", c.watch, c.ns, got, c.want)
			}
		})
	}
}
