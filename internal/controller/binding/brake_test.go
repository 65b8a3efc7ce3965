package binding

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// healthyWorld is a world whose binding "tgb" synced before (its status
// observed its generation, so the sync is no edit) and whose targets ips
// are healthy in group A; the first sync, after which tgc knows the
// Service, is done and forgotten.
func healthyWorld(t *testing.T, brake BrakeConfig, ips ...string) *world {
	t.Helper()
	b := newBinding("tgb", arnA, time.Hour)
	b.Status.ObservedGeneration = b.Generation
	w := newWorld(t, fake.Config{}, ready(ips...), b)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	w.c = New(w.kube, targetgroups.New(w.aws, w.clock, targetgroups.Config{}), w.rec, m, w.clock, Config{Brake: brake})
	w.aws.SetTargets(arnA, healthy(ips...)...)
	w.mustReconcile("tgb")
	w.aws.ResetCalls()
	w.events()
	return w
}

// setPod changes the status of the Pod behind ip, as its kubelet would.
func (w *world) setPod(ip string, change func(*corev1.Pod)) {
	w.t.Helper()
	p := &corev1.Pod{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: podName(ip)}, p); err != nil {
		w.t.Fatal(err)
	}
	change(p)
	if err := w.kube.Status().Update(w.ctx, p); err != nil {
		w.t.Fatal(err)
	}
}

// deletePod deletes the Pod behind ip and delivers the delete event, as
// the pod informer would.
func (w *world) deletePod(ip string, tombstone bool) {
	w.t.Helper()
	p := &corev1.Pod{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: podName(ip)}, p); err != nil {
		w.t.Fatal(err)
	}
	if err := w.kube.Delete(w.ctx, p); err != nil {
		w.t.Fatal(err)
	}
	var ev any = p
	if tombstone {
		ev = toolscacheTombstone(p)
	}
	w.c.podDeleted(ev)
}

func (w *world) annotate(name, key, value string) {
	w.t.Helper()
	w.update(name, func(b *v1alpha1.TargetGroupBinding) {
		if b.Annotations == nil {
			b.Annotations = map[string]string{}
		}
		b.Annotations[key] = value
	})
}

func TestSyncDeregistrationBrake(t *testing.T) {
	four := []string{ip1, ip2, ip3, ip4}
	notReadyPod := func(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }
	cases := map[string]struct {
		brake BrakeConfig
		// change happens to the world after its first sync.
		change      func(w *world)
		wantWrites  []string
		wantMembers []string
		wantReady   string
		wantHeld    float64
		wantEvent   []string
	}{
		"a slice that loses three of four ready endpoints with their pods running holds all three": {
			change:      func(w *world) { w.setEndpoints(ready(ip1)) },
			wantMembers: tgs(four...),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    3,
			wantEvent:   []string{"Warning DeregistrationHeld", "holding the deregistration of 3 healthy targets", tg(ip2), `confirm-deregistration="3"`},
		},
		"new endpoints are registered during a hold": {
			change:      func(w *world) { w.setEndpoints(ready(ip1, ip5)) },
			wantWrites:  []string{reg("A", ip5)},
			wantMembers: tgs(ip1, ip2, ip3, ip4, ip5),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    3,
		},
		"explained removals go ahead during a hold of the unexplained ones": {
			brake:       BrakeConfig{Limits: targets.BrakeLimits{MaxFraction: 0.5, MaxTargets: 1}},
			change:      func(w *world) { w.setEndpoints(ready(ip1), terminating(ip2)) },
			wantWrites:  []string{dereg("A", ip2)},
			wantMembers: tgs(ip1, ip3, ip4),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    2,
		},
		"one unexplained removal of four is below the limits and goes": {
			change:      func(w *world) { w.setEndpoints(ready(ip1, ip2, ip3)) },
			wantWrites:  []string{dereg("A", ip4)},
			wantMembers: tgs(ip1, ip2, ip3),
			wantReady:   "True/Synced",
		},
		"pods whose delete events tgc saw explain their removal": {
			change: func(w *world) {
				w.setEndpoints(ready(ip1))
				w.deletePod(ip2, false)
				w.deletePod(ip3, true)
				w.deletePod(ip4, false)
			},
			wantWrites:  []string{dereg("A", ip2, ip3, ip4)},
			wantMembers: tgs(ip1),
			wantReady:   "True/Synced",
		},
		"delete events older than the evidence TTL explain nothing": {
			change: func(w *world) {
				for _, ip := range []string{ip2, ip3, ip4} {
					w.deletePod(ip, false)
				}
				w.clock.Step(6 * time.Minute)
				w.setEndpoints(ready(ip1))
			},
			wantMembers: tgs(four...),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    3,
		},
		"pods missing from the cache without a delete event explain nothing": {
			change: func(w *world) {
				w.setEndpoints(ready(ip1))
				for _, ip := range []string{ip2, ip3, ip4} {
					if err := w.kube.Delete(w.ctx, pod(ip)); err != nil {
						w.t.Fatal(err)
					}
				}
			},
			wantMembers: tgs(four...),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    3,
		},
		"pods that are not ready or finished explain their removal": {
			change: func(w *world) {
				w.setEndpoints(ready(ip1))
				w.setPod(ip2, notReadyPod)
				w.setPod(ip3, notReadyPod)
				w.setPod(ip4, func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })
			},
			wantWrites:  []string{dereg("A", ip2, ip3, ip4)},
			wantMembers: tgs(ip1),
			wantReady:   "True/Synced",
		},
		"a selector switch moves the targets with no hold": {
			change: func(w *world) {
				svc := &corev1.Service{}
				if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: svcName}, svc); err != nil {
					w.t.Fatal(err)
				}
				svc.Spec.Selector = map[string]string{"app": "web", "slot": "green"}
				if err := w.kube.Update(w.ctx, svc); err != nil {
					w.t.Fatal(err)
				}
				w.setEndpoints(ready(ip5))
			},
			wantWrites:  []string{dereg("A", ip1, ip2, ip3, ip4), reg("A", ip5)},
			wantMembers: tgs(ip5),
			wantReady:   "True/Synced",
		},
		"an edit of the binding's spec explains the removals": {
			change: func(w *world) {
				w.update("tgb", func(b *v1alpha1.TargetGroupBinding) { b.Generation++ })
				w.setEndpoints(ready(ip1))
			},
			wantWrites:  []string{dereg("A", ip2, ip3, ip4)},
			wantMembers: tgs(ip1),
			wantReady:   "True/Synced",
		},
		"an edit long ago explains nothing": {
			change: func(w *world) {
				w.update("tgb", func(b *v1alpha1.TargetGroupBinding) { b.Generation++ })
				w.mustReconcile("tgb")
				w.clock.Step(6 * time.Minute)
				w.setEndpoints(ready(ip1))
			},
			wantMembers: tgs(four...),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    3,
		},
		"targets AWS does not report healthy are not held": {
			change: func(w *world) {
				w.aws.SetTargets(arnA, append(healthy(ip1),
					targets.Health{Target: podTarget(ip2), State: targets.StateUnhealthy},
					targets.Health{Target: podTarget(ip3), State: targets.StateUnhealthy},
					targets.Health{Target: podTarget(ip4), State: targets.StateUnhealthy})...)
				w.clock.Step(6 * time.Minute) // the drift check reads the new health
				w.setEndpoints(ready(ip1))
			},
			wantWrites:  []string{dereg("A", ip2, ip3, ip4)},
			wantMembers: tgs(ip1),
			wantReady:   "True/Synced",
		},
		"with the brake off every removal goes": {
			brake:       BrakeConfig{Disabled: true},
			change:      func(w *world) { w.setEndpoints(ready(ip1)) },
			wantWrites:  []string{dereg("A", ip2, ip3, ip4)},
			wantMembers: tgs(ip1),
			wantReady:   "True/Synced",
		},
		"an empty desired set is left to emptyEndpointsPolicy": {
			change:      func(w *world) { w.setEndpoints() },
			wantMembers: tgs(four...),
			wantReady:   "False/" + v1alpha1.ReasonNoEndpoints,
		},
		"a confirmation of the held count releases the hold": {
			change: func(w *world) {
				w.setEndpoints(ready(ip1))
				w.mustReconcile("tgb")
				w.annotate("tgb", v1alpha1.ConfirmDeregistrationAnnotation, "3")
			},
			wantWrites:  []string{dereg("A", ip2, ip3, ip4)},
			wantMembers: tgs(ip1),
			wantReady:   "True/Synced",
			wantEvent:   []string{"Normal DeregistrationConfirmed", "3 held targets"},
		},
		"a confirmation of another count releases nothing": {
			change: func(w *world) {
				w.setEndpoints(ready(ip1))
				w.mustReconcile("tgb")
				w.annotate("tgb", v1alpha1.ConfirmDeregistrationAnnotation, "2")
			},
			wantMembers: tgs(four...),
			wantReady:   "False/" + v1alpha1.ReasonDeregistrationHeld,
			wantHeld:    3,
		},
		"a hold ends when the slice lists the targets again": {
			change: func(w *world) {
				w.setEndpoints(ready(ip1))
				w.mustReconcile("tgb")
				w.setEndpoints(ready(four...))
			},
			wantMembers: tgs(four...),
			wantReady:   "True/Synced",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := healthyWorld(t, tc.brake, four...)
			tc.change(w)
			evs := w.events()

			res := w.mustReconcile("tgb")
			evs = append(evs, w.events()...)

			if got, want := w.writes(), tc.wantWrites; !reflect.DeepEqual(got, want) {
				t.Errorf("AWS writes = %q, want %q", got, want)
			}
			if got, want := w.members(arnA), tc.wantMembers; !reflect.DeepEqual(got, want) {
				t.Errorf("members of the group = %q, want %q", got, want)
			}
			if got := w.ready("tgb"); got != tc.wantReady {
				t.Errorf("Ready = %s (%s), want %s", got, readyCondition(w.binding("tgb")).Message, tc.wantReady)
			}
			if got := testutil.ToFloat64(w.c.metrics.held.WithLabelValues(ns, "tgb")); got != tc.wantHeld {
				t.Errorf("tgc_binding_deregistrations_held = %v, want %v", got, tc.wantHeld)
			}
			if tc.wantHeld > 0 && res.RequeueAfter > w.c.cfg.HealthPollInterval {
				t.Errorf("requeued after %s during a hold, want within the health poll interval %s", res.RequeueAfter, w.c.cfg.HealthPollInterval)
			}
			if len(tc.wantEvent) > 0 && !hasEvent(evs, tc.wantEvent[0], tc.wantEvent[1:]...) {
				t.Errorf("no Event %q in %q", tc.wantEvent, evs)
			}
			if _, ok := w.binding("tgb").Annotations[v1alpha1.ConfirmDeregistrationAnnotation]; ok && tc.wantHeld == 0 {
				t.Errorf("annotation %s left on the binding with no hold to confirm", v1alpha1.ConfirmDeregistrationAnnotation)
			}
		})
	}
}

func TestAHoldIsAnnouncedOnce(t *testing.T) {
	w := healthyWorld(t, BrakeConfig{}, ip1, ip2, ip3, ip4)
	w.setEndpoints(ready(ip1))
	var held []string
	for range 3 {
		w.mustReconcile("tgb")
		w.clock.Step(10 * time.Second)
		for _, e := range w.events() {
			if strings.HasPrefix(e, "Warning "+v1alpha1.ReasonDeregistrationHeld) {
				held = append(held, e)
			}
		}
	}
	if len(held) != 1 {
		t.Fatalf("%d DeregistrationHeld Events over three syncs of one hold, want 1: %q", len(held), held)
	}
	if got := w.writes(); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "DeregisterTargets") }) {
		t.Fatalf("AWS writes = %q, want no DeregisterTargets", got)
	}
}

func toolscacheTombstone(p *corev1.Pod) any {
	return toolscache.DeletedFinalStateUnknown{Key: p.Namespace + "/" + p.Name, Obj: p}
}
