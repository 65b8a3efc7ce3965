package bench

import (
	"slices"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// failoversPerOp is how many leader failovers one op measures; each takes
// a few seconds (see BenchmarkLeaderFailover).
const failoversPerOp = 5

// BenchmarkLeaderFailover runs two tgc replicas with leader election on a
// Lease. Each sample cancels the leader's context (a clean shutdown, as on
// SIGTERM during a rollout), adds an endpoint once the leader has stopped,
// and measures from the cancel to the emulator finishing the standby's
// RegisterTargets for the new endpoint; "takeover" samples end when the
// standby became leader. The stopped replica then comes back as the new
// standby.
//
// The manager's options do not expose the lease timings, so
// controller-runtime's defaults apply (lease 15 s, renew deadline 10 s,
// retry period 2 s). tgc releases the Lease on a clean shutdown
// (LeaderElectionReleaseOnCancel), so the standby takes over at its next
// attempt rather than after the lease expires. The standby attempts every
// 2 s to 4.4 s (client-go's retry period with jitter factor 1.2), so a
// takeover lands anywhere from 0 to 4.4 s after the release. A leader that
// crashes without releasing would cost up to the 15 s lease duration,
// which this does not measure.
func BenchmarkLeaderFailover(b *testing.B) {
	w := newWorld(b)
	f := w.fleet(1, 10)
	o := w.options()
	o.LeaderElect = true
	o.LeaderElectionNamespace = w.ns
	o.LeaderElectionID = "tgc-bench-failover"

	leader := w.start(o)
	w.waitElected(leader)
	w.waitFleetInSync(f, time.Minute)
	standby := w.start(o)

	var failover, takeover []time.Duration
	added := 0
	for b.Loop() {
		for range failoversPerOp {
			// A standby whose caches are warm, as in a running Deployment.
			time.Sleep(time.Second)
			killed := time.Now()
			leader.Stop()
			ip := ipOf(f.perBinding + added)
			added++
			w.addEndpoint("svc-0-1", ip)
			call := w.waitRegistered(f.arns[0], ip, killed)
			elected := w.waitElected(standby)
			failover = append(failover, done(call).Sub(killed))
			takeover = append(takeover, elected.Sub(killed))
			leader, standby = standby, w.start(o)
		}
	}
	b.StopTimer()
	reportLatency(b, "", failover)
	reportLatency(b, "takeover-", takeover)
	b.ReportMetric(float64(len(failover)), "samples")
}

// waitElected waits until c leads and returns when it became leader.
func (w *world) waitElected(c *harness.Controller) time.Time {
	w.b.Helper()
	select {
	case <-c.Elected():
		return c.ElectedAt()
	case <-time.After(time.Minute):
		w.b.Fatal("timed out after 1m waiting for a replica to be elected")
		return time.Time{}
	}
}

// addEndpoint adds a ready endpoint to a hand-written EndpointSlice.
func (w *world) addEndpoint(slice, ip string) {
	w.b.Helper()
	s := &discoveryv1.EndpointSlice{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: w.ns, Name: slice}, s); err != nil {
		w.b.Fatalf("getting EndpointSlice %s: %v", slice, err)
	}
	s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	if err := w.kube.Update(w.ctx, s); err != nil {
		w.b.Fatalf("adding %s to EndpointSlice %s: %v", ip, slice, err)
	}
}

// waitRegistered waits for the RegisterTargets call, started after t, that
// put ip in the group: the first such call after which the group holds it.
func (w *world) waitRegistered(arn, ip string, t time.Time) emulator.Call {
	w.b.Helper()
	call := w.waitCall(arn, "RegisterTargets", t, time.Minute)
	if got := w.members(arn); !slices.Contains(got, target(ip, 8080)) {
		w.b.Fatalf("after RegisterTargets, %s is not in the group: %v", ip, got)
	}
	return call
}
