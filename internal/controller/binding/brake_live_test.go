package binding

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	kubefake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
)

// A selector switch reaches tgc as two informer events, the Service's and
// the new EndpointSlices', in either order. When the slices come first, the
// cached Service still has the old selector and the removals look
// unexplained; the brake reads the Service uncached before it holds.
func TestTheBrakeReadsTheServiceUncachedBeforeItHolds(t *testing.T) {
	blue := []string{ip1, ip2, ip3, ip4}
	green := []string{ip5}
	switched := service()
	switched.Spec.Selector = map[string]string{"version": "green"}
	cases := map[string]struct {
		// live is what the API server holds; nil is no uncached reader.
		live        client.Reader
		wantDereg   bool
		wantReady   string
		wantMembers []string
	}{
		"a selector switch the cache has not seen yet explains the removals": {
			live:        kubefake.NewClientBuilder().WithObjects(switched).Build(),
			wantDereg:   true,
			wantReady:   "True/Synced",
			wantMembers: tgs(green...),
		},
		"a Service the API server holds unchanged explains nothing": {
			live:        kubefake.NewClientBuilder().WithObjects(service()).Build(),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantMembers: tgs(append(slices.Clone(blue), green...)...),
		},
		"without an uncached reader the cache is trusted": {
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantMembers: tgs(append(slices.Clone(blue), green...)...),
		},
		"a Service the API server no longer has explains nothing": {
			live:        kubefake.NewClientBuilder().Build(),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantMembers: tgs(append(slices.Clone(blue), green...)...),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBinding("tgb", arnA, time.Hour)
			b.Status.ObservedGeneration = b.Generation
			w := newWorld(t, fake.Config{}, ready(blue...), b)
			m, err := NewMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			w.c = New(w.kube, targetgroups.New(w.aws, w.clock, targetgroups.Config{}), w.rec, m, w.clock, Config{APIReader: tc.live})
			w.aws.SetTargets(arnA, healthy(blue...)...)
			w.mustReconcile("tgb")
			w.aws.ResetCalls()

			w.setEndpoints(ready(green...)) // the cached Service keeps its old selector
			w.mustReconcile("tgb")

			gotDereg := slices.ContainsFunc(w.writes(), func(s string) bool { return s == dereg("A", blue...) })
			if gotDereg != tc.wantDereg {
				t.Errorf("deregistered the blue targets: %v, want %v (writes %v)", gotDereg, tc.wantDereg, w.writes())
			}
			if got := w.ready("tgb"); got != tc.wantReady {
				t.Errorf("Ready = %s, want %s", got, tc.wantReady)
			}
			if got := w.members(arnA); !slices.Equal(got, tc.wantMembers) {
				t.Errorf("members = %v, want %v", got, tc.wantMembers)
			}
		})
	}
}
