package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// shardLabel is the label the two deployments of this test split bindings
// by.
const shardLabel = "tgc.dev/shard"

// TestBindingSelectorSplitsBindingsAndARelabelledBindingKeepsItsTargets runs
// two controllers over one namespace with disjoint --binding-selector
// values: each syncs only the bindings it selects. A binding relabelled so
// that neither selects it is left as it is: its targets stay when its
// endpoints change, and on deletion its finalizer waits for the deployment
// that selects it, which then deregisters its targets. Without the cache's
// label selector both controllers would sync both bindings (controller a
// would hold series of binding b) and the relabelled binding would still
// be synced by a.
func TestBindingSelectorSplitsBindingsAndARelabelledBindingKeepsItsTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	started := map[string]*controller{}
	for _, shard := range []string{"a", "b"} {
		o := e.controllerOptions()
		o.BindingSelector = shardLabel + "=" + shard
		o.ServiceAnnotations = false
		started[shard] = e.startController(o)
	}
	a, b := started["a"], started["b"]

	bind := func(shard, third string) (name, arn string, ips []string) {
		name = uniq("svc-" + shard)
		arn = e.targetGroup()
		ips = []string{"10.244." + third + ".1", "10.244." + third + ".2"}
		e.selectorlessService(name, 80)
		e.slice(name, name+"-1", 8080, ips...)
		e.binding(name, name, intstr.FromInt32(80), arn, func(tgb *v1alpha1.TargetGroupBinding) {
			tgb.Labels = map[string]string{shardLabel: shard}
		})
		return name, arn, ips
	}
	nameA, arnA, ipsA := bind("a", "180")
	nameB, arnB, ipsB := bind("b", "181")
	targetsOf := func(ips []string) []string {
		out := make([]string, len(ips))
		for i, ip := range ips {
			out[i] = ip + ":8080"
		}
		return out
	}
	e.waitMembers(arnA, func() []string { return targetsOf(ipsA) }, 15*time.Second)
	e.waitMembers(arnB, func() []string { return targetsOf(ipsB) }, 15*time.Second)

	// Each controller's metrics name only its own binding.
	synced := func(c *controller, name string) bool {
		_, err := metricValue(c.registry, "tgc_binding_ready", map[string]string{"namespace": e.ns, "binding": name})
		return err == nil
	}
	e.eventually(10*time.Second, "each controller to report its own binding", func() (bool, string) {
		return synced(a, nameA) && synced(b, nameB), fmt.Sprintf("a has %s: %v, b has %s: %v", nameA, synced(a, nameA), nameB, synced(b, nameB))
	})
	if synced(a, nameB) || synced(b, nameA) {
		t.Fatalf("a controller synced a binding it does not select: a has %s: %v, b has %s: %v", nameB, synced(a, nameB), nameA, synced(b, nameA))
	}

	// Relabel a's binding to a shard nobody selects; a forgets it.
	relabel := func(name, shard string) {
		t.Helper()
		tgb := e.getBinding(name)
		orig := tgb.DeepCopy()
		tgb.Labels[shardLabel] = shard
		if err := e.kube.Patch(e.ctx, tgb, client.MergeFrom(orig)); err != nil {
			t.Fatalf("relabelling binding %s: %v", name, err)
		}
	}
	relabel(nameA, "c")
	e.eventually(10*time.Second, "controller a to forget the binding relabelled away", func() (bool, string) {
		return !synced(a, nameA), "a still reports " + nameA
	})
	// An endpoint leaves: a deployment that still synced the binding would
	// deregister it within milliseconds.
	e.slice(nameA, nameA+"-1", 8080, ipsA[0])
	time.Sleep(3 * time.Second)
	if got := e.members(arnA); !slices.Equal(got, targetsOf(ipsA)) {
		t.Fatalf("targets of the relabelled binding = %v, want them left as they were, %v", got, targetsOf(ipsA))
	}

	// Deleting it: no deployment selects it, so nobody finalizes it.
	if err := e.kube.Delete(e.ctx, e.getBinding(nameA)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if tgb := e.getBinding(nameA); !slices.Contains(tgb.Finalizers, v1alpha1.Finalizer) {
		t.Fatalf("finalizers of the unselected binding being deleted = %v, want %s kept for the deployment that selects it", tgb.Finalizers, v1alpha1.Finalizer)
	}
	if got := e.members(arnA); !slices.Equal(got, targetsOf(ipsA)) {
		t.Fatalf("targets of the unselected binding being deleted = %v, want %v", got, targetsOf(ipsA))
	}

	// Moved to b's shard, b finalizes it: its remaining target leaves and
	// the binding goes; b's own binding is untouched.
	relabel(nameA, "b")
	e.waitMembers(arnA, func() []string { return nil }, 15*time.Second)
	e.eventually(10*time.Second, "the binding moved to b to be gone", func() (bool, string) {
		err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: nameA}, &v1alpha1.TargetGroupBinding{})
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err)
	})
	if got := e.members(arnB); !slices.Equal(got, targetsOf(ipsB)) {
		t.Fatalf("targets of b's own binding = %v, want %v", got, targetsOf(ipsB))
	}
}

// TestBindingSelectorLeavesTheReadinessGatesOfUnselectedBindingsToTheirDeployment
// runs one controller that selects shard a over two gated apps: the gate of
// the pod behind the selected binding turns True once its target is
// healthy, and the gate of the pod behind a binding of shard b is never
// written, since it is the other deployment's to set. Without the cache's
// label selector the controller would register the second pod and set its
// gate too.
func TestBindingSelectorLeavesTheReadinessGatesOfUnselectedBindingsToTheirDeployment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.controllerOptions()
	o.BindingSelector = shardLabel + "=a"
	o.ServiceAnnotations = false
	e.startController(o)

	apps := map[string]string{"a": uniq("gated-a"), "b": uniq("gated-b")}
	groups := map[string]string{}
	labels := map[string]map[string]string{}
	for shard, name := range apps {
		groups[shard] = e.targetGroup()
		labels[shard] = e.gatedApp(name, 1)
		e.binding(name, name, intstr.FromInt32(80), groups[shard], func(tgb *v1alpha1.TargetGroupBinding) {
			tgb.Labels = map[string]string{shardLabel: shard}
		})
	}
	gateOf := func(shard string) *corev1.PodCondition {
		ps := e.pods(labels[shard])
		if len(ps) != 1 {
			return nil
		}
		return podCondition(&ps[0], podgate.ConditionType(apps[shard]))
	}
	e.eventually(60*time.Second, "the selected binding's pod gate to turn True", func() (bool, string) {
		c := gateOf("a")
		return isTrue(c), fmt.Sprintf("gate %+v", c)
	})
	// A controller that synced both would have set both gates by now, the
	// two apps being alike; a little longer makes sure it is not a race.
	time.Sleep(2 * time.Second)
	if c := gateOf("b"); c != nil {
		t.Fatalf("the gate of the unselected binding's pod was written: %+v", c)
	}
	if got := e.members(groups["b"]); len(got) != 0 {
		t.Fatalf("the unselected binding's group holds %v, want nothing registered", got)
	}
}
