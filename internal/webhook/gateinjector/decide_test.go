package gateinjector

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

func TestGatesToAdd(t *testing.T) {
	optedIn := map[string]string{v1alpha1.ReadinessGateInjectLabel: v1alpha1.ReadinessGateInjectEnabled}
	web := Service{Name: "web", Selector: map[string]string{"app": "web"}}
	webPod := map[string]string{"app": "web", "pod-template-hash": "abc"}

	cases := map[string]struct {
		in   Input
		want []string // binding names whose gates are added
	}{
		"pod selected by a bound service in an opted-in namespace gets the gate": {
			in:   Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}}},
			want: []string{"web-tg"},
		},
		"namespace without the label gets nothing": {
			in: Input{NamespaceLabels: map[string]string{"team": "a"}, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}}},
		},
		"namespace label with another value gets nothing": {
			in: Input{NamespaceLabels: map[string]string{v1alpha1.ReadinessGateInjectLabel: "disabled"}, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}}},
		},
		"pod the service does not select gets nothing": {
			in: Input{NamespaceLabels: optedIn, PodLabels: map[string]string{"app": "api"}, Services: []Service{web}, Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}}},
		},
		"selected pod whose service has no binding gets nothing": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}},
		},
		"binding to a service that does not exist adds nothing": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}}},
		},
		"service without a selector selects no pod": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{{Name: "manual"}}, Bindings: []Binding{{Name: "manual-tg", ServiceName: "manual"}}},
		},
		"gate already in the pod template is not added twice": {
			in: Input{
				NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web},
				PodGates: []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType("web-tg")}},
				Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}},
			},
		},
		"binding being deleted gives no gate, since nothing would ever satisfy it": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{{Name: "web-tg", ServiceName: "web", Deleting: true}}},
		},
		"an instance binding gives no gate: its targets are nodes, not the pod": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{
				{Name: "web-nodes", ServiceName: "web", Instance: true}, {Name: "web-tg", ServiceName: "web"},
			}},
			want: []string{"web-tg"},
		},
		"a binding with inject false gives no gate, while another binding of the pod still gives its own": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{
				{Name: "web-quiet", ServiceName: "web", OptedOut: true}, {Name: "web-tg", ServiceName: "web"},
			}},
			want: []string{"web-tg"},
		},
		"two bindings on one service give two gates in a stable order": {
			in: Input{NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web}, Bindings: []Binding{
				{Name: "web-tg-b", ServiceName: "web"}, {Name: "web-tg-a", ServiceName: "web"},
			}},
			want: []string{"web-tg-a", "web-tg-b"},
		},
		"pod selected by two bound services gets both gates, an unselecting service's binding none": {
			in: Input{
				NamespaceLabels: optedIn, PodLabels: webPod,
				Services: []Service{web, {Name: "all", Selector: map[string]string{"pod-template-hash": "abc"}}, {Name: "api", Selector: map[string]string{"app": "api"}}},
				Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}, {Name: "all-tg", ServiceName: "all"}, {Name: "api-tg", ServiceName: "api"}},
			},
			want: []string{"all-tg", "web-tg"},
		},
		"other controllers' gates are kept and do not stop ours": {
			in: Input{
				NamespaceLabels: optedIn, PodLabels: webPod, Services: []Service{web},
				PodGates: []corev1.PodReadinessGate{{ConditionType: "target-health.elbv2.k8s.aws/web-tg"}},
				Bindings: []Binding{{Name: "web-tg", ServiceName: "web"}},
			},
			want: []string{"web-tg"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, g := range GatesToAdd(tc.in) {
				b, ok := podgate.BindingName(g.ConditionType)
				if !ok {
					t.Fatalf("added gate %q is not a tgc gate", g.ConditionType)
				}
				got = append(got, b)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("gates added for bindings %v, want %v", got, tc.want)
			}
		})
	}
}
