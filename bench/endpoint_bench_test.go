package bench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// samplesPerOp is how many endpoint changes one benchmark op measures. An
// op takes about a second per sample (a pod must start, or stop, between
// two), so with the default -benchtime=1s the benchmark runs one op, and
// p99 needs more than one sample: with 20, p99 is the worst of them.
const samplesPerOp = 20

// promise is tgc's promised bound on its own path from an endpoint change to
// the AWS call completing ("well under a second"); a benchmark whose p99
// exceeds it fails, so that `make bench` guards it.
const promise = time.Second

func checkPromise(b *testing.B, what string, samples []time.Duration) {
	if p99 := percentile(samples, 99); p99 >= promise {
		b.Fatalf("%s p99 is %s, want under %s; samples (ms): %s", what, p99, promise, formatMS(samples))
	}
}

// BenchmarkEndpointChangeToRegister measures the plain "endpoint change"
// path: one binding on a Deployment without readiness gates, scaled up by
// one pod per sample. A sample runs from the moment the new pod's endpoint
// turns ready in its EndpointSlice (as a watch in this process sees it) to
// the moment the emulator finished serving the RegisterTargets call that
// added it: tgc's own path. "from-pod-ready" samples start when the pod's
// Ready condition turned True instead, so they add the EndpointSlice
// controller's reaction.
func BenchmarkEndpointChangeToRegister(b *testing.B) {
	w := newWorld(b)
	arn := w.targetGroup()
	w.app("web", 1)
	w.binding("web", "web", arn)
	w.start(w.options())
	watch := w.watchSlices("web")
	pods := w.watchPods("web")
	w.waitGroupMatchesPods("web", arn, 1)

	var lat, fromPod []time.Duration
	replicas := int32(1)
	for b.Loop() {
		for range samplesPerOp {
			replicas++
			mark := time.Now()
			w.scale("web", replicas)
			var ip string
			var readyAt time.Time
			w.eventually(30*time.Second, "a new ready endpoint", func() (bool, string) {
				var ok bool
				ip, readyAt, ok = watch.readySince(mark)
				return ok, "none yet"
			})
			call := w.waitCall(arn, "RegisterTargets", mark, 10*time.Second)
			if call.Targets != 1 {
				b.Fatalf("RegisterTargets after one new endpoint carried %d targets, want 1", call.Targets)
			}
			if got := w.members(arn); !slices.Contains(got, target(ip, 8080)) {
				b.Fatalf("after RegisterTargets, %s is not in the group: %v", ip, got)
			}
			podReady, ok := pods.readyAt(ip)
			if !ok {
				b.Fatalf("endpoint %s is ready, but no Ready pod has that IP", ip)
			}
			lat = append(lat, done(call).Sub(readyAt))
			fromPod = append(fromPod, done(call).Sub(podReady))
		}
	}
	b.StopTimer()
	reportLatency(b, "", lat)
	reportLatency(b, "from-pod-ready-", fromPod)
	checkPromise(b, "endpoint ready to RegisterTargets done", lat)
	b.ReportMetric(float64(len(lat)), "samples")
}

// BenchmarkEndpointTerminatingToDeregister measures the terminating path:
// a pod of the bound Deployment is deleted per sample. A sample runs from
// the moment its endpoint stops being ready in the EndpointSlice to the
// emulator finishing the DeregisterTargets call; "from-delete" samples run
// from the Delete request instead, so they include the EndpointSlice
// controller's reaction.
func BenchmarkEndpointTerminatingToDeregister(b *testing.B) {
	const replicas = 3
	w := newWorld(b)
	arn := w.targetGroup()
	w.app("web", replicas)
	w.binding("web", "web", arn)
	w.start(w.options())
	watch := w.watchSlices("web")
	w.waitGroupMatchesPods("web", arn, replicas)

	var lat, fromDelete []time.Duration
	for b.Loop() {
		for range samplesPerOp {
			victim := w.readyPods("web")[0]
			ip := victim.Status.PodIP
			mark := time.Now()
			if err := w.kube.Delete(w.ctx, &victim, client.Preconditions{UID: ptr.To(victim.UID)}); err != nil {
				b.Fatalf("deleting pod %s: %v", victim.Name, err)
			}
			var leftAt time.Time
			w.eventually(30*time.Second, "endpoint "+ip+" to stop being ready", func() (bool, string) {
				var ok bool
				leftAt, ok = watch.goneAt(ip)
				return ok, "still ready"
			})
			call := w.waitCall(arn, "DeregisterTargets", mark, 10*time.Second)
			if got := w.members(arn); slices.Contains(got, target(ip, 8080)) {
				b.Fatalf("after DeregisterTargets, %s is still in the group: %v", ip, got)
			}
			lat = append(lat, done(call).Sub(leftAt))
			fromDelete = append(fromDelete, done(call).Sub(mark))
			// The ReplicaSet replaces the pod; the next sample starts from
			// a settled group.
			w.waitGroupMatchesPods("web", arn, replicas)
		}
	}
	b.StopTimer()
	reportLatency(b, "", lat)
	reportLatency(b, "from-delete-", fromDelete)
	checkPromise(b, "endpoint terminating to DeregisterTargets done", lat)
	b.ReportMetric(float64(len(lat)), "samples")
}

// waitGroupMatchesPods waits until n pods of the app are ready and the
// group's members are exactly those pods.
func (w *world) waitGroupMatchesPods(app, arn string, n int) {
	w.b.Helper()
	// Every check is a DescribeTargetHealth, which draws on the same
	// Describe bucket as the controller: poll gently.
	w.eventuallyEvery(60*time.Second, 200*time.Millisecond, "the group to hold the app's ready pods", func() (bool, string) {
		pods := w.readyPods(app)
		var want []string
		for _, p := range pods {
			want = append(want, target(p.Status.PodIP, 8080))
		}
		slices.Sort(want)
		got := w.members(arn)
		return len(pods) == n && slices.Equal(got, want), "ready pods " + strings.Join(want, ",") + "; members " + strings.Join(got, ",")
	})
}
