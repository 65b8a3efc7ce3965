package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// scenario is one way pods come and go under load.
type scenario struct {
	name  string // in test names and result lines
	short string // in AWS resource names (at most 32 characters in all)
	title string // in the results table
	// replicas is the Deployment's size before the action.
	replicas int32
	// scaleTo is its size after the action; 0 means unchanged.
	scaleTo int32
	action  func(*run) error
	// instance, when set, binds the Service with targetType instance: the
	// targets are nodes, reached through the loopback kubelet's
	// kube-proxy. Nil binds pod IPs.
	instance *instanceMode
	// pools starts the pods on the blue nodes (labelPools).
	pools bool
	// ipv6 binds the IPv6 addresses of a dual-stack Service to an ipv6
	// group behind a dualstack load balancer (ipv6_test.go).
	ipv6 bool
	// full: the scenario runs only when the results table is written
	// (TGC_E2E_REPORT) or TGC_E2E=all, to keep `make test` short.
	full bool
	// automaticOnly: only the automatic setup must drop nothing; the
	// hand-written recipe is sized for other figures than the scenario's
	// (an older delay), and its failures are what it shows.
	automaticOnly bool
	// controllerArgs are added to the controller's flags in every setup.
	controllerArgs []string
	// profile, when set, changes the emulator's timings for the run,
	// before its load balancer is made (a listener keeps the response
	// timeout it started with); they are restored afterwards.
	profile func(emulator.Profile) emulator.Profile
	// handPreStopSeconds, when set, replaces the recommended setup's
	// preStop, as the recipe sizes it for the scenario's timings; its
	// grace period follows.
	handPreStopSeconds int64
	// propagationMargin, when set, replaces the automatic setup's
	// --drain-propagation-margin.
	propagationMargin time.Duration
	// delaySeconds, when set, is the group's deregistration delay instead
	// of deregistrationDelaySeconds.
	delaySeconds int
}

// setups are the ways the scenario runs, recommended first. An instance
// scenario runs its naive setup only in the full run, to keep `make test`
// short: the recommended one is what `make test` must prove.
func (sc scenario) setups() []setup {
	if sc.instance != nil {
		if !fullRun() {
			return instanceSetups()[:1]
		}
		return instanceSetups()
	}
	switch {
	case fullRun():
		return setups()
	case sc.ipv6:
		// make test proves the recommended setup over IPv6; the full run
		// the others.
		return setups()[:1]
	case sc.name != "rolling-update":
		// The automatic setup runs one scenario in make test; the full
		// run proves the rest.
		return slices.DeleteFunc(setups(), func(s setup) bool { return s.automatic })
	}
	return setups()
}

// skipped says why the scenario does not run now, or "".
func (sc scenario) skipped() string {
	if sc.full && !fullRun() {
		return "runs only with TGC_E2E_REPORT or TGC_E2E=all, to keep make test short"
	}
	return ""
}

// fullRun: every scenario and setup runs, as when the results table is
// written.
func fullRun() bool { return os.Getenv("TGC_E2E_REPORT") != "" || os.Getenv("TGC_E2E") == "all" }

func (sc scenario) finalReplicas() int32 {
	if sc.scaleTo > 0 {
		return sc.scaleTo
	}
	return sc.replicas
}

// scenarios are the situations in which pods or nodes leave or join a
// target group that tgc promises to handle without a failed request, run
// in this order: six with pod targets (one of them IPv6), three with node targets
// (instance_test.go).
func scenarios() []scenario {
	return append([]scenario{
		{
			name: "rolling-update", short: "roll", title: "Rolling update, 4 replicas, maxSurge 1, maxUnavailable 0",
			replicas: 4,
			action:   func(r *run) error { return r.updateTemplate("registry.example/web:2", nil) },
		},
		{
			name: "scale-down", short: "scale", title: "Scale from 6 to 2 replicas",
			replicas: 6, scaleTo: 2,
			action: func(r *run) error { return r.scale(2) },
		},
		{
			name: "delete-pod", short: "delete", title: "Delete one of 4 pods by hand",
			replicas: 4,
			action:   (*run).deleteOnePod,
		},
		{
			name: "slow-start", short: "slow", title: fmt.Sprintf("Rolling update to pods whose app answers only after %s", slowStartDelay),
			replicas: 4,
			action: func(r *run) error {
				return r.updateTemplate("registry.example/web:2", map[string]string{startDelayAnnotation: slowStartDelay.String()})
			},
		},
		{
			name: "controller-restart", short: "restart", title: "Controller restarted in the middle of a rolling update",
			replicas: 4,
			action:   (*run).rolloutWithControllerRestart,
		},
		ipv6RollingUpdate(),
		delayRaisedScenario(),
		nlbScenario(),
	}, instanceScenarios()...)
}

// TestZeroDowntime runs every scenario in each of its setups, one after
// the other: with tgc's recommended and automatic setups no request may
// fail, the naive setup's failures are only reported.
func TestZeroDowntime(t *testing.T) {
	var results []result
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			if why := sc.skipped(); why != "" {
				t.Skip(why)
			}
			for _, su := range sc.setups() {
				t.Run(su.name, func(t *testing.T) {
					results = append(results, runScenario(t, shared, sc, su))
				})
			}
		})
	}
	if path := os.Getenv("TGC_E2E_REPORT"); path != "" {
		if !filepath.IsAbs(path) {
			// go test runs in the package directory; the documented
			// command names a path from the repository root.
			path = filepath.Join(shared.root, path)
		}
		if err := writeReport(path, renderReport(results, time.Now())); err != nil {
			t.Errorf("writing the report: %v", err)
		} else {
			t.Logf("results table written to %s", path)
		}
	}
}

// updateTemplate starts a rolling update by changing the pod template.
func (r *run) updateTemplate(image string, annotations map[string]string) error {
	var d appsv1.Deployment
	if err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: appName}, &d); err != nil {
		return fmt.Errorf("reading deployment %s/%s: %w", r.ns, appName, err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Template.Spec.Containers[0].Image = image
	for k, v := range annotations {
		if d.Spec.Template.Annotations == nil {
			d.Spec.Template.Annotations = map[string]string{}
		}
		d.Spec.Template.Annotations[k] = v
	}
	if err := r.s.kube.Patch(r.ctx, &d, patch); err != nil {
		return fmt.Errorf("updating the template of %s/%s: %w", r.ns, appName, err)
	}
	r.timeline.note("deployment template updated to %s", image)
	return nil
}

func (r *run) scale(replicas int32) error {
	var d appsv1.Deployment
	if err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: appName}, &d); err != nil {
		return fmt.Errorf("reading deployment %s/%s: %w", r.ns, appName, err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = ptr.To(replicas)
	if err := r.s.kube.Patch(r.ctx, &d, patch); err != nil {
		return fmt.Errorf("scaling %s/%s to %d: %w", r.ns, appName, replicas, err)
	}
	r.timeline.note("deployment scaled to %d", replicas)
	return nil
}

// deleteOnePod deletes a ready pod the way `kubectl delete pod` does: with
// the pod's own grace period.
func (r *run) deleteOnePod() error {
	var pods corev1.PodList
	if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels{"app": appName}); err != nil {
		return fmt.Errorf("listing pods in %s: %w", r.ns, err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp == nil && podReady(p) {
			if err := r.s.kube.Delete(r.ctx, p); err != nil {
				return fmt.Errorf("deleting pod %s/%s: %w", r.ns, p.Name, err)
			}
			r.timeline.note("deleted pod %s (%s) by hand", p.Name, p.Status.PodIP)
			return nil
		}
	}
	return fmt.Errorf("no ready pod to delete in %s", r.ns)
}

// rolloutWithControllerRestart starts a rolling update and restarts the
// controller, with controllerDowntime between the two processes, as soon as
// the first old pod is terminating. With maxSurge 1 that is when the second
// new pod has just been created: the new controller must find it, register
// it and flip its gate, or the rollout stalls; a controller that forgets a
// pending deregistration drops requests.
func (r *run) rolloutWithControllerRestart() error {
	if err := r.updateTemplate("registry.example/web:2", nil); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pods corev1.PodList
		if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels{"app": appName}); err != nil {
			return fmt.Errorf("listing pods in %s: %w", r.ns, err)
		}
		terminating := false
		for i := range pods.Items {
			terminating = terminating || pods.Items[i].DeletionTimestamp != nil
		}
		if terminating {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no old pod started terminating within 30s of the update")
		}
		r.sleep(50 * time.Millisecond)
	}
	r.timeline.note("restarting the controller")
	gap, err := r.restartController()
	if err != nil {
		return fmt.Errorf("restarting the controller: %w", err)
	}
	r.timeline.note("new controller started, %s after the old one was told to stop", gap.Round(time.Millisecond))
	r.t.Logf("controller restarted mid-rollout: new process started %s after the old one was told to stop (it then syncs its caches)", gap.Round(time.Millisecond))
	return nil
}
