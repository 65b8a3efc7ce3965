package integration

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/kubectltgc"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
	"github.com/tgc-dev/targetgroupcontroller/test/peer"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// peerBuild finds the peer that hack/peer.sh built, or skips: CI may have
// neither the cache, nor PEER_SRC, nor GitHub.
var peerBuild = sync.OnceValues(func() (peer.Build, error) {
	root, err := testcluster.ModuleRoot()
	if err != nil {
		return peer.Build{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	b, err := peer.Find(ctx, root)
	if err != nil {
		return b, err
	}
	// Its CRDs go into the shared cluster once; only these tests use them.
	_, err = envtest.InstallCRDs(shared.cluster.Config, envtest.CRDInstallOptions{Paths: []string{b.CRDDir}})
	return b, err
})

func needPeer(t *testing.T) peer.Build {
	t.Helper()
	b, err := peerBuild()
	if errors.Is(err, peer.ErrUnavailable) {
		t.Skipf("needs the AWS Load Balancer Controller: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peerWorld is an app behind a target group that the peer keeps, with the
// peer's binding (and its finalizer) on it.
type peerWorld struct {
	*env
	labels   map[string]string
	arn      string
	url      string
	binding  types.NamespacedName
	peerLogs string
}

func newPeerWorld(t *testing.T, b peer.Build) *peerWorld {
	e := newEnv(t)
	// A group with a deregistration delay, unlike the harness's default of
	// 0: with 0, the emulator's DeregisterTargets removes a target at once
	// and cuts the requests still in flight to it, as AWS does at the end
	// of a target's delay, so a rollout loses whatever an old pod was
	// answering when tgc deregistered it, however long the pod's preStop
	// keeps it serving. The delay must be shorter than that preStop
	// (appWithoutLoss), so the drain ends while the pod still answers.
	w := &peerWorld{env: e, arn: e.delayedGroup(peerWorldDrain), binding: types.NamespacedName{Namespace: e.ns, Name: "web"}}
	w.labels = w.appWithoutLoss("web", 4)
	for _, l := range shared.emu.Listeners() {
		if l.TargetGroupARN == w.arn {
			w.url = "http://" + l.Address + "/"
		}
	}
	w.peerLogs = filepath.Join(t.TempDir(), "peer.log")
	p, err := peer.Start(b, peer.Options{Kubeconfig: shared.cluster.Kubeconfig, EmulatorURL: shared.emu.URL(),
		Region: "us-east-1", VPC: "vpc-0a1b2c3d4e5f60718", WatchNamespace: e.ns, LogPath: w.peerLogs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(10 * time.Second) })
	w.peerGateInjection(p)
	e.create(peer.Binding(e.ns, "web", "web", 80, w.arn))
	ready := e.waitReadyPods(w.labels, 4, 8080, time.Minute)
	e.waitMembers(w.arn, func() []string { return ready }, time.Minute)
	e.waitHealthy(w.arn, 4, 30*time.Second)
	e.eventually(30*time.Second, "the peer's finalizer on its binding", func() (bool, string) {
		u := w.peerBinding()
		return u != nil && controllerutil.ContainsFinalizer(u, peer.Finalizer), "no finalizer yet"
	})
	return w
}

// peerGateInjection sends the namespace's pod creations to the peer's
// readiness gate injector, as its chart's webhook configuration does for a
// namespace labelled elbv2.k8s.aws/pod-readiness-gate-inject: enabled, so
// that pods created while the peer's binding exists carry its gate.
func (w *peerWorld) peerGateInjection(p *peer.Running) {
	hook := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "peer-pod-gates-" + w.ns},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "mpod.elbv2.k8s.aws",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To(p.WebhookURL + "/mutate-v1-pod"), CABundle: p.CABundle},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: w.ns}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if err := w.kube.Create(w.ctx, hook); err != nil {
		w.t.Fatalf("creating the peer's pod webhook configuration: %v", err)
	}
	w.t.Cleanup(func() { _ = w.kube.Delete(context.Background(), hook) })
}

// peerWorldDrain is the peer world's deregistration delay in seconds, and
// peerWorldPreStop its pods' preStop sleep: the drain outlasts the slowest
// request the test sends (300 ms) and ends before the pod stops answering.
const (
	peerWorldDrain   = 1
	peerWorldPreStop = 3
)

// appWithoutLoss is env.app whose rollouts lose no request with either
// controller: a new pod first, and a preStop sleep that keeps an old pod
// serving while its target drains. It is created so from the start, since
// a patch would roll the pods out once more before the test begins.
func (w *peerWorld) appWithoutLoss(name string, replicas int32) map[string]string {
	a := testcluster.App{Name: name, Replicas: replicas, ContainerPort: 8080, ServicePortName: "web", ReadinessProbe: true}
	d := a.Deployment()
	d.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(0))
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(10))
	d.Spec.Template.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: peerWorldPreStop}}}
	w.create(d)
	w.create(a.Service())
	return a.Labels()
}

func (w *peerWorld) peerBinding() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(peer.APIVersion)
	u.SetKind(peer.Kind)
	if err := w.kube.Get(w.ctx, w.binding, u); err != nil {
		if !apierrors.IsNotFound(err) {
			w.t.Errorf("reading the peer's binding: %v", err)
		}
		return nil
	}
	return u
}

// kubectlTGC runs kubectl tgc as a user with the admin kubeconfig.
func (w *peerWorld) kubectlTGC(args ...string) (int, string) {
	var out, errOut bytes.Buffer
	code := kubectltgc.Main(w.ctx, append(args, "--kubeconfig", shared.cluster.Kubeconfig, "-n", w.ns), &out, &errOut, kubectltgc.Deps{})
	return code, out.String() + errOut.String()
}

// Not parallel: migrate races the real peer, which re-adds its finalizer
// between migrate's finalizer removal and its conditional delete. With 3
// other tests of this package beside it, the peer won that race for the
// whole 2 minutes in 2 of 3 runs; alone it passes in about 15 s.
func TestMigrateFromThePeerLosesNoTargetAndNoRequest(t *testing.T) {
	b := needPeer(t)
	w := newPeerWorld(t, b)
	w.startController(w.controllerOptions())

	ctx, stop := context.WithCancel(w.ctx)
	defer stop()
	load := loadgen.New(loadgen.Config{URL: w.url, Rate: 200, Timeout: 2 * time.Second})
	loadDone := make(chan loadgen.Result, 1)
	go func() { loadDone <- load.Run(ctx) }()
	// Slow requests besides: about one is in flight on each target at any
	// moment, so every deregistration of an old pod catches requests that
	// only the drain lets finish. Without them, a request in flight at the
	// instant of a deregistration is a matter of luck (a few ms at 200/s).
	slow := loadgen.New(loadgen.Config{URL: w.url + "?delay=300ms", Rate: 20, Timeout: 2 * time.Second})
	slowDone := make(chan loadgen.Result, 1)
	go func() { slowDone <- slow.Run(ctx) }()
	// The group is read every 10 ms in-process; the fewest healthy
	// targets seen is the figure.
	minHealthy := make(chan int, 1)
	go func() {
		least := 1 << 30
		defer func() { minHealthy <- least }()
		for ctx.Err() == nil {
			states, err := shared.emu.ObserveTargetHealth(w.arn)
			if err == nil {
				n := 0
				for _, s := range states {
					if s == "healthy" {
						n++
					}
				}
				least = min(least, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// A rolling update runs through the migration. Its first new pod is
	// created while the peer's binding exists, so it carries the peer's
	// gate.
	time.Sleep(time.Second)
	w.restart("web")
	w.eventually(30*time.Second, "a pod of the rollout with the peer's gate", func() (bool, string) {
		return w.peerGated() > 0, "none yet"
	})
	code, out := w.kubectlTGC("migrate")
	migrated := time.Now()
	t.Logf("kubectl tgc migrate (exit %d):\n%s", code, out)
	if code != 0 {
		t.Fatalf("migrate failed; peer log: %s", w.peerLogs)
	}
	ready := w.waitRolledOut("web", 4, 2*time.Minute)
	w.waitMembers(w.arn, func() []string { return ready }, 30*time.Second)
	w.waitHealthy(w.arn, 4, 30*time.Second)
	time.Sleep(time.Second)
	stop()
	res, slowRes, least := <-loadDone, <-slowDone, <-minHealthy

	t.Logf("load: %s; slow requests: %s; fewest healthy targets seen: %d; migrate returned at %s",
		res, slowRes, least, migrated.Format(time.StampMilli))
	// No request may fail, from the rollout's start through the migration
	// and the rest of the rollout with tgc alone.
	for _, l := range []struct {
		name string
		r    loadgen.Result
	}{{"requests", res}, {"slow requests", slowRes}} {
		if r := l.r; len(r.Failures) > 0 {
			t.Errorf("%d of %d %s failed, first: %+v", len(r.Failures), r.Sent, l.name, r.Failures[0])
			for _, f := range r.Failures {
				t.Logf("failed at %s (migrate returned at %s): %s", f.At.Format(time.StampMicro), migrated.Format(time.StampMicro), f.Cause)
			}
		}
	}
	if len(res.Failures)+len(slowRes.Failures) > 0 {
		for _, c := range calls(w.arn, time.Time{}) {
			if c.Action == "RegisterTargets" || c.Action == "DeregisterTargets" {
				t.Logf("%s %s %v", c.Time.Format(time.StampMicro), c.Action, c.TargetIDs)
			}
		}
		for id, c := range shared.emu.RequestCounts().Targets {
			if c.Total() > c.Success {
				t.Logf("target %s: %+v", id, c)
			}
		}
	}
	if res.Sent < 200 || slowRes.Sent < 20 {
		t.Errorf("only %d requests and %d slow requests sent", res.Sent, slowRes.Sent)
	}
	if least == 0 {
		t.Error("the group had no healthy target at some moment")
	}
	if u := w.peerBinding(); u != nil {
		t.Errorf("the peer's binding is still there: finalizers %v, deletion %v", u.GetFinalizers(), u.GetDeletionTimestamp())
	}
	// No pod's gate sticks: every pod of the rollout is Ready (waitRolledOut),
	// and some of them were created while the peer's binding existed and
	// carry the peer's gate, which tgc had to set once the peer was gone.
	peerGated := w.peerGated()
	t.Logf("%d of the rolled-out pods carry the peer's gate", peerGated)
	if peerGated == 0 {
		t.Error("no pod carries the peer's gate: the rollout did not overlap the migration, so the gate handover was not exercised")
	}
	tgb := w.getBinding("web")
	if tgb.Spec.Paused || tgb.Annotations[v1alpha1.MigratedFromAnnotation] == "" {
		t.Errorf("tgc's binding: paused %v, annotations %v", tgb.Spec.Paused, tgb.Annotations)
	}
	for _, c := range calls(w.arn, time.Time{}) {
		if c.Action == "DeregisterTargets" && c.Targets >= 4 {
			t.Errorf("a DeregisterTargets of %d targets at %s: a cleanup ran", c.Targets, c.Time.Format(time.StampMilli))
		}
	}
}

func TestMigrateDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	b := needPeer(t)
	w := newPeerWorld(t, b)
	before := w.peerBinding()
	members := w.members(w.arn)
	since := time.Now()

	code, out := w.kubectlTGC("migrate", "--dry-run")
	if code != 0 || !strings.Contains(out, "create tgc binding (paused)") {
		t.Fatalf("migrate --dry-run: exit %d:\n%s", code, out)
	}
	after := w.peerBinding()
	if after == nil || after.GetResourceVersion() != before.GetResourceVersion() {
		t.Errorf("the peer's binding changed: before %v, after %v", before, after)
	}
	var tgbs v1alpha1.TargetGroupBindingList
	if err := w.kube.List(w.ctx, &tgbs, client.InNamespace(w.ns)); err != nil || len(tgbs.Items) != 0 {
		t.Errorf("tgc bindings after a dry run: %d (%v)", len(tgbs.Items), err)
	}
	time.Sleep(time.Second)
	if got := w.members(w.arn); !equalStrings(got, members) {
		t.Errorf("the group changed: %v -> %v", members, got)
	}
	for _, c := range calls(w.arn, since) {
		if c.Action == "RegisterTargets" || c.Action == "DeregisterTargets" {
			t.Errorf("%s during the dry run", c.Action)
		}
	}
}

// peerGated counts the live pods that carry the peer's gate.
func (w *peerWorld) peerGated() int {
	n := 0
	for _, p := range w.pods(w.labels) {
		for _, g := range p.Spec.ReadinessGates {
			if g.ConditionType == "target-health.elbv2.k8s.aws/web" {
				n++
			}
		}
	}
	return n
}

// restart starts a rolling update of the Deployment whose new pods carry
// tgc's gate, as tgc's webhook gives it to every pod of a namespace
// labelled for it once the migrated binding exists (the in-process
// controller runs no webhook). Without any gate, the rollout would go on
// while neither controller writes (tgc paused, the peer's binding gone)
// and retire old pods that are still the group's only targets.
func (w *peerWorld) restart(name string) {
	d := &appsv1.Deployment{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: w.ns, Name: name}, d); err != nil {
		w.t.Fatal(err)
	}
	orig := d.DeepCopy()
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = metav1.Now().Format(time.RFC3339Nano)
	d.Spec.Template.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType(name)}}
	if err := w.kube.Patch(w.ctx, d, client.MergeFrom(orig)); err != nil {
		w.t.Fatal(err)
	}
}

// waitRolledOut waits until the Deployment's rollout is complete and
// returns its ready pods' targets.
func (w *peerWorld) waitRolledOut(name string, replicas int32, timeout time.Duration) []string {
	w.eventually(timeout, "the rollout of "+name, func() (bool, string) {
		d := &appsv1.Deployment{}
		if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: w.ns, Name: name}, d); err != nil {
			return false, err.Error()
		}
		s := d.Status
		return s.ObservedGeneration == d.Generation && s.UpdatedReplicas == replicas && s.Replicas == replicas && s.AvailableReplicas == replicas,
			"status " + strings.ReplaceAll(strings.TrimSpace(s.String()), "\n", " ")
	})
	return w.waitReadyPods(w.labels, int(replicas), 8080, timeout)
}

func equalStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
