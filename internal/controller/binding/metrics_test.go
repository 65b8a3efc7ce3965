package binding

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Each binding has exactly one tgc_binding_ready series, labelled with the
// condition's current reason; a binding's change never touches another's.
func TestTheReadySeriesFollowsTheReason(t *testing.T) {
	type set struct {
		ns, name, reason string
		ready            bool
	}
	cases := map[string]struct {
		sets   []set
		forget []string // binding names forgotten after the sets
		want   string
	}{
		"a new reason replaces the old series": {
			sets: []set{{"a", "web", "SyncPending", false}, {"a", "web", "Synced", true}},
			want: `tgc_binding_ready{binding="web",namespace="a",reason="Synced"} 1`,
		},
		"the same reason keeps one series with the latest value": {
			sets: []set{{"a", "web", "Synced", true}, {"a", "web", "Synced", true}},
			want: `tgc_binding_ready{binding="web",namespace="a",reason="Synced"} 1`,
		},
		"another binding's reason change leaves this one's series": {
			sets: []set{{"a", "web", "Synced", true}, {"a", "api", "AWSError", false}, {"a", "api", "Synced", true}},
			want: `tgc_binding_ready{binding="api",namespace="a",reason="Synced"} 1
tgc_binding_ready{binding="web",namespace="a",reason="Synced"} 1`,
		},
		"one name in two namespaces is two bindings": {
			sets: []set{{"a", "web", "Synced", true}, {"b", "web", "NotAllowed", false}},
			want: `tgc_binding_ready{binding="web",namespace="a",reason="Synced"} 1
tgc_binding_ready{binding="web",namespace="b",reason="NotAllowed"} 0`,
		},
		"a forgotten binding's series is gone": {
			sets:   []set{{"a", "web", "AWSError", false}},
			forget: []string{"web"},
			want:   ``,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := NewMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.sets {
				m.setReady(s.ns, s.name, s.reason, s.ready)
			}
			for _, n := range tc.forget {
				m.forget("a", n)
			}
			want := "# HELP tgc_binding_ready 1 when the binding's Ready condition is True, 0 otherwise; the reason label is the condition's reason.\n# TYPE tgc_binding_ready gauge\n" + tc.want + "\n"
			if tc.want == "" {
				want = ""
			}
			if err := testutil.CollectAndCompare(m.ready, strings.NewReader(want), "tgc_binding_ready"); err != nil {
				t.Error(err)
			}
		})
	}
}
