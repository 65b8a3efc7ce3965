package binding

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	kubefake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// The world of a sync test: one namespace, Service "web" (port 80 "http",
// target port 8080), its EndpointSlice, target groups A and B in the fake,
// and bindings driven through Reconcile.
const (
	ns      = "shop"
	svcName = "web"
	podPort = 8080

	arnA = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/0123456789abcdef"
	arnB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/fedcba9876543210"
)

// t0 is when every test starts, on the fake clock.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// endpoint is one address of the Service's EndpointSlice. Like the
// EndpointSlice controller's, it names a Pod with that address by its
// targetRef, and the world holds the Pod; a bare one has neither, as in a
// hand-written slice.
type endpoint struct {
	ip                 string
	ready, terminating bool
	bare               bool
}

func ready(ips ...string) []endpoint       { return eps(ips, true, false) }
func notReady(ips ...string) []endpoint    { return eps(ips, false, false) }
func terminating(ips ...string) []endpoint { return eps(ips, false, true) }

// bareReady are ready endpoints without targetRef and without a Pod.
func bareReady(ips ...string) []endpoint {
	out := ready(ips...)
	for i := range out {
		out[i].bare = true
	}
	return out
}

func eps(ips []string, ready, term bool) []endpoint {
	out := make([]endpoint, 0, len(ips))
	for _, ip := range ips {
		out = append(out, endpoint{ip: ip, ready: ready, terminating: term})
	}
	return out
}

// tgbOption changes a binding before the world is built.
type tgbOption func(*v1alpha1.TargetGroupBinding)

func multiCluster(b *v1alpha1.TargetGroupBinding) { b.Spec.MultiClusterTargetGroup = true }
func retainOnDelete(b *v1alpha1.TargetGroupBinding) {
	b.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
}
func deregisterWhenEmpty(b *v1alpha1.TargetGroupBinding) {
	b.Spec.EmptyEndpointsPolicy = v1alpha1.EmptyEndpointsPolicyDeregister
}

// newBinding is a binding of Service web's port 80 to arn, created age ago,
// with the API server's defaults for the policies.
func newBinding(name, arn string, age time.Duration, opts ...tgbOption) *v1alpha1.TargetGroupBinding {
	b := &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(name + "-uid"),
			CreationTimestamp: metav1.NewTime(t0.Add(-age)), Generation: 1},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN:       arn,
			TargetType:           v1alpha1.TargetTypeIP,
			ServiceRef:           v1alpha1.ServiceReference{Name: svcName, Port: intstr.FromInt32(80)},
			DeletionPolicy:       v1alpha1.DeletionPolicyDelete,
			EmptyEndpointsPolicy: v1alpha1.EmptyEndpointsPolicyRetain,
		},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

type world struct {
	t     *testing.T
	ctx   context.Context
	kube  client.Client
	aws   *fake.TargetGroups
	clock *clocktesting.FakeClock
	rec   *events.FakeRecorder
	c     *Controller
	// statusPatches is, for each status patch, the ownedTargets it wrote and
	// the group's members in AWS at that moment.
	statusPatches []statusPatch
	// loseStatusAfterWrites fails every status patch made once the group
	// has members, as when tgc stops between its first RegisterTargets and
	// the status write that follows.
	loseStatusAfterWrites bool
}

type statusPatch struct {
	owned   []string
	members []string
}

// newWorld builds the world with the bindings given and Service web whose
// slice lists endpoints. The bindings are stored as given, status included.
func newWorld(t *testing.T, cfg fake.Config, endpoints []endpoint, bindings ...*v1alpha1.TargetGroupBinding) *world {
	t.Helper()
	w := &world{t: t, ctx: t.Context(), aws: fake.New(cfg), clock: clocktesting.NewFakeClock(t0), rec: events.NewFakeRecorder(100)}
	for _, arn := range []string{arnA, arnB} {
		name := strings.Split(arn, "/")[1]
		w.aws.AddGroup(elbv2.TargetGroup{ARN: arn, Name: name, TargetType: "ip", IPAddressType: "ipv4", Protocol: "HTTP", Port: 80}, 0)
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	objs := []client.Object{service(), slice(endpoints),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": "shop"}}}}
	for _, p := range pods(endpoints) {
		objs = append(objs, p)
	}
	for _, b := range bindings {
		objs = append(objs, b)
	}
	w.kube = kubefake.NewClientBuilder().
		WithScheme(scheme).
		WithStatusSubresource(&v1alpha1.TargetGroupBinding{}).
		WithObjects(objs...).
		// The indexes Register sets up (watch.go).
		WithIndex(&v1alpha1.TargetGroupBinding{}, ServiceRefIndex, func(o client.Object) []string {
			return []string{o.(*v1alpha1.TargetGroupBinding).Spec.ServiceRef.Name}
		}).
		WithIndex(&v1alpha1.TargetGroupBinding{}, TargetGroupIndex, targetGroupOf).
		WithIndex(&discoveryv1.EndpointSlice{}, SliceServiceIndex, func(o client.Object) []string {
			if svc := o.GetLabels()[discoveryv1.LabelServiceName]; svc != "" {
				return []string{svc}
			}
			return nil
		}).
		WithIndex(&corev1.Pod{}, PodIPIndex, podIPs).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: w.recordStatusPatch}).
		Build()

	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	view := targetgroups.New(w.aws, w.clock, targetgroups.Config{})
	w.c = New(w.kube, view, w.rec, m, w.clock, Config{})
	return w
}

func (w *world) recordStatusPatch(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if b, ok := obj.(*v1alpha1.TargetGroupBinding); ok {
		w.statusPatches = append(w.statusPatches, statusPatch{owned: slices.Clone(b.Status.OwnedTargets), members: w.members(b.Spec.TargetGroupARN)})
		if w.loseStatusAfterWrites && len(w.members(b.Spec.TargetGroupARN)) > 0 {
			return errors.New("status write lost")
		}
	}
	return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
}

func service() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName},
		Spec: corev1.ServiceSpec{
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(podPort)}},
		},
	}
}

func slice(endpoints []endpoint) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](podPort)}},
	}
	for _, e := range endpoints {
		ep := discoveryv1.Endpoint{
			Addresses:  []string{e.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.ready || e.terminating), Terminating: ptr.To(e.terminating)},
		}
		if !e.bare {
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: podName(e.ip), UID: podUID(e.ip)}
		}
		s.Endpoints = append(s.Endpoints, ep)
	}
	return s
}

// podName and podUID name the Pod behind the endpoint at ip.
func podName(ip string) string   { return "web-" + strings.ReplaceAll(ip, ".", "-") }
func podUID(ip string) types.UID { return types.UID(podName(ip) + "-uid") }

// pod is the Pod behind the endpoint at ip, running and Ready, as the
// informer cache holds it.
func pod(ip string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: podName(ip), UID: podUID(ip)},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

// pods are the Pods behind the endpoints that are not bare.
func pods(endpoints []endpoint) []*corev1.Pod {
	var out []*corev1.Pod
	for _, e := range endpoints {
		if !e.bare {
			out = append(out, pod(e.ip))
		}
	}
	return out
}

// ensurePods creates the Pods behind the endpoints that the world lacks.
func (w *world) ensurePods(endpoints []endpoint) {
	w.t.Helper()
	for _, p := range pods(endpoints) {
		if err := w.kube.Create(w.ctx, p); err != nil && !apierrors.IsAlreadyExists(err) {
			w.t.Fatal(err)
		}
	}
}

// setEndpoints replaces the endpoints of Service web, as the EndpointSlice
// controller would.
func (w *world) setEndpoints(lists ...[]endpoint) {
	w.t.Helper()
	s := &discoveryv1.EndpointSlice{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: svcName + "-1"}, s); err != nil {
		w.t.Fatal(err)
	}
	all := slices.Concat(lists...)
	w.ensurePods(all)
	s.Endpoints = slice(all).Endpoints
	if err := w.kube.Update(w.ctx, s); err != nil {
		w.t.Fatal(err)
	}
}

// reconcile runs one Reconcile of the binding.
func (w *world) reconcile(name string) (reconcile.Result, error) {
	return w.c.Reconcile(w.ctx, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
}

// mustReconcile runs Reconcile and fails the test on an error.
func (w *world) mustReconcile(name string) reconcile.Result {
	w.t.Helper()
	res, err := w.reconcile(name)
	if err != nil {
		w.t.Fatalf("Reconcile(%s): %v", name, err)
	}
	return res
}

func (w *world) binding(name string) *v1alpha1.TargetGroupBinding {
	w.t.Helper()
	b := &v1alpha1.TargetGroupBinding{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: name}, b); err != nil {
		w.t.Fatalf("getting binding %s: %v", name, err)
	}
	return b
}

func (w *world) gone(name string) bool {
	err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: name}, &v1alpha1.TargetGroupBinding{})
	return apierrors.IsNotFound(err)
}

// update changes a binding's spec, as a user would.
func (w *world) update(name string, change func(*v1alpha1.TargetGroupBinding)) {
	w.t.Helper()
	b := w.binding(name)
	change(b)
	if err := w.kube.Update(w.ctx, b); err != nil {
		w.t.Fatal(err)
	}
}

// ready returns the binding's Ready condition as "Status/Reason".
func (w *world) ready(name string) string {
	w.t.Helper()
	c := readyCondition(w.binding(name))
	if c == nil {
		return "none"
	}
	return string(c.Status) + "/" + c.Reason
}

// members lists the group's targets that are registered and not leaving.
func (w *world) members(arn string) []string {
	return w.targetsWhere(arn, func(h targets.Health) bool { return h.Registered() && !h.Leaving() })
}

func (w *world) targetsWhere(arn string, keep func(targets.Health) bool) []string {
	out := []string{}
	for _, h := range w.aws.Targets(arn) {
		if keep(h) {
			out = append(out, h.Target.String())
		}
	}
	return out
}

// writes lists the RegisterTargets and DeregisterTargets requests AWS
// received, in order, as reg and dereg write them.
func (w *world) writes() []string {
	var out []string
	for _, c := range w.aws.Calls() {
		if c.Op != fake.OpRegisterTargets && c.Op != fake.OpDeregisterTargets {
			continue
		}
		group := "A"
		switch c.ARN {
		case arnB:
			group = "B"
		case arnC:
			group = "C"
		}
		out = append(out, write(c.Op, group, strs(c.Targets)))
	}
	return out
}

// reg and dereg name one request to group "A" or "B" of the endpoints ips.
func reg(group string, ips ...string) string {
	return write(fake.OpRegisterTargets, group, tgs(ips...))
}

func dereg(group string, ips ...string) string {
	return write(fake.OpDeregisterTargets, group, tgs(ips...))
}

func write(op, group string, ts []string) string {
	return op + " " + group + " " + strings.Join(ts, ",")
}

// events drains the Events recorded so far, as "Type Reason note".
func (w *world) events() []string {
	var out []string
	for {
		select {
		case e := <-w.rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// tg is "ip:8080", the target of an endpoint.
func tg(ip string) string { return netip.AddrPortFrom(netip.MustParseAddr(ip), podPort).String() }

func tgs(ips ...string) []string {
	out := []string{}
	for _, ip := range ips {
		out = append(out, tg(ip))
	}
	return out
}

func podTarget(ip string) targets.Target {
	return targets.Target{IP: netip.MustParseAddr(ip), Port: podPort}
}

func healthy(ips ...string) []targets.Health {
	out := make([]targets.Health, 0, len(ips))
	for _, ip := range ips {
		out = append(out, targets.Health{Target: podTarget(ip), State: targets.StateHealthy})
	}
	return out
}

func strs(ts []targets.Target) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}

// hasEvent reports whether one of evs starts with prefix ("Warning
// DriftDetected") and contains every one of subs.
func hasEvent(evs []string, prefix string, subs ...string) bool {
	for _, e := range evs {
		if !strings.HasPrefix(e, prefix) {
			continue
		}
		all := true
		for _, s := range subs {
			all = all && strings.Contains(e, s)
		}
		if all {
			return true
		}
	}
	return false
}

// within reports whether d is in [lo, hi].
func within(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }
