package bench

import (
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// fleet is many bindings, each on its own Service and target group. Its
// endpoints are written by hand into one EndpointSlice per Service (the
// Services have no selector), so a thousand targets cost no pods; the
// bindings opt in to targetSelection AnyEndpoint (world.binding), and tgc
// otherwise reads such slices exactly like the EndpointSlice controller's.
type fleet struct {
	perBinding int
	bindings   []string
	arns       []string
	// targets[i] are binding i's targets as "ip:8080".
	targets [][]string
}

func (w *world) fleet(bindings, perBinding int) *fleet {
	w.b.Helper()
	f := &fleet{perBinding: perBinding}
	for i := range bindings {
		svc := "svc-" + strconv.Itoa(i)
		w.create(&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: svc},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP}}},
		})
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: svc + "-1", Labels: map[string]string{
				discoveryv1.LabelServiceName: svc,
				discoveryv1.LabelManagedBy:   "bench.tgc.dev",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("web"), Port: ptr.To(int32(8080)), Protocol: ptr.To(corev1.ProtocolTCP)}},
		}
		var ts []string
		for j := range perBinding {
			ip := ipOf(i*perBinding + j)
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
			ts = append(ts, target(ip, 8080))
		}
		w.create(slice)
		arn := w.targetGroup()
		name := "b-" + strconv.Itoa(i)
		w.binding(name, svc, arn)
		f.bindings = append(f.bindings, name)
		f.arns = append(f.arns, arn)
		f.targets = append(f.targets, ts)
	}
	return f
}

// syncedSince reports whether every binding of the fleet is Ready and
// synced at or after t (status.lastSyncTime has whole seconds).
func (w *world) syncedSince(f *fleet, t time.Time) (bool, string) {
	var list v1alpha1.TargetGroupBindingList
	if err := w.kube.List(w.ctx, &list, client.InNamespace(w.ns)); err != nil {
		return false, err.Error()
	}
	synced := 0
	for _, tgb := range list.Items {
		c := meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionReady)
		last := tgb.Status.LastSyncTime
		if c != nil && c.Status == metav1.ConditionTrue && last != nil && !last.Time.Before(t) {
			synced++
		}
	}
	return synced == len(f.bindings), strconv.Itoa(synced) + " of " + strconv.Itoa(len(f.bindings)) + " bindings synced"
}

// waitFleetInSync waits until every binding is synced and every group
// holds exactly its binding's targets.
func (w *world) waitFleetInSync(f *fleet, timeout time.Duration) {
	w.b.Helper()
	w.eventually(timeout, "every binding to sync", func() (bool, string) { return w.syncedSince(f, time.Time{}) })
	w.checkFleet(f)
}

// checkFleet fails the benchmark unless every group holds exactly its
// binding's targets.
func (w *world) checkFleet(f *fleet) {
	w.b.Helper()
	for i, arn := range f.arns {
		got := w.members(arn)
		want := sortedCopy(f.targets[i])
		if !slices.Equal(got, want) {
			w.b.Fatalf("group of %s holds %d targets, want %d: %v", f.bindings[i], len(got), len(want), got)
		}
	}
}
