package binding

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// ReasonEndpointSkipped is the Warning Event tgc emits, once per endpoint and
// reason per controller process, for a ready endpoint that no Pod of the
// binding stands behind and that is therefore not registered.
const ReasonEndpointSkipped = "EndpointSkipped"

// skipWarnings remembers, in memory only, which skipped endpoints each
// binding was warned about, so that a skip is announced once per controller
// process rather than at every sync.
type skipWarnings struct {
	mu sync.Mutex
	// seen holds, per binding, every skip seen: true once warned about,
	// false for a first sighting that may be the Pod cache lagging behind.
	seen map[types.NamespacedName]map[skipKey]bool
}

type skipKey struct {
	target targets.Target
	reason targets.SkipReason
}

func newSkipWarnings() *skipWarnings {
	return &skipWarnings{seen: map[types.NamespacedName]map[skipKey]bool{}}
}

// fresh returns the skips to warn about now and remembers them. A skip that
// may be the Pod cache lagging behind the EndpointSlice (MaybeStale) is
// warned about only when a later sync sees it again, so that a Pod that
// reaches the cache a moment after its endpoint raises no false alarm.
func (w *skipWarnings) fresh(key types.NamespacedName, skipped []targets.Skipped) []targets.Skipped {
	w.mu.Lock()
	defer w.mu.Unlock()
	prev := w.seen[key]
	next := make(map[skipKey]bool, len(skipped))
	for k, warned := range prev {
		if warned {
			next[k] = true // once per process, even if it comes back
		}
	}
	var out []targets.Skipped
	for _, s := range skipped {
		k := skipKey{s.Target, s.Reason}
		warned, seen := prev[k]
		switch {
		case warned:
		case s.MaybeStale && !seen:
			next[k] = false
		default:
			next[k] = true
			out = append(out, s)
		}
	}
	if len(next) == 0 {
		delete(w.seen, key)
	} else {
		w.seen[key] = next
	}
	return out
}

func (w *skipWarnings) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.seen, key)
}

// reportSkipped announces endpoints left out because no Pod of the binding
// stands behind them: a log line and a Warning Event per reason, naming
// each endpoint once per process, and the skipped-endpoints metric at every
// sync. A skipped endpoint is simply not desired; it takes nothing else out.
func (c *Controller) reportSkipped(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, skipped []targets.Skipped) {
	byReason := map[targets.SkipReason]int{}
	for _, s := range skipped {
		byReason[s.Reason]++
	}
	c.metrics.setSkipped(tgb.Namespace, tgb.Name, byReason)

	fresh := c.skips.fresh(bindingKey(tgb), skipped)
	if len(fresh) == 0 {
		return
	}
	groups := map[targets.SkipReason][]targets.Skipped{}
	for _, s := range fresh {
		groups[s.Reason] = append(groups[s.Reason], s)
	}
	for _, reason := range targets.SkipReasons {
		ss := groups[reason]
		if len(ss) == 0 {
			continue
		}
		ts := make([]targets.Target, len(ss))
		for i, s := range ss {
			ts[i] = s.Target
		}
		log.FromContext(ctx).Info("endpoints skipped: no Pod of the binding behind them", "reason", reason,
			"endpoints", targetList(ts), "targetRefs", refList(ss))
		c.event(tgb, true, ReasonEndpointSkipped, "SelectTargets",
			"%d endpoints of Service %s are not registered (%s: %s): only an address of a Pod in namespace %s, named by the endpoint's targetRef, becomes a target. Fix the EndpointSlice, or set spec.targetSelection: AnyEndpoint to register any address",
			len(ss), tgb.Spec.ServiceRef.Name, reason, skipDetail(reason, ts, ss), tgb.Namespace)
	}
}

// skipDetail says what is wrong with the endpoints in the reason's words.
func skipDetail(reason targets.SkipReason, ts []targets.Target, ss []targets.Skipped) string {
	switch reason {
	case targets.SkipNoTargetRef:
		return targetList(ts) + " have no targetRef"
	case targets.SkipTargetRefNotPod:
		return targetList(ts) + " name " + refList(ss) + ", not Pods"
	case targets.SkipPodInOtherNamespace:
		return targetList(ts) + " name Pods of another namespace: " + refList(ss)
	case targets.SkipPodNotFound:
		return targetList(ts) + " name Pods that do not exist: " + refList(ss)
	case targets.SkipAddressNotPodIP:
		return targetList(ts) + " are not among the IPs of " + refList(ss)
	}
	return targetList(ts)
}

func refList(ss []targets.Skipped) string {
	const show = 10
	var refs []string
	seen := map[string]bool{}
	for _, s := range ss {
		if s.Ref == "" || seen[s.Ref] {
			continue
		}
		seen[s.Ref] = true
		refs = append(refs, s.Ref)
	}
	if len(refs) > show {
		return strings.Join(refs[:show], ", ") + " and more"
	}
	return strings.Join(refs, ", ")
}

func staleSkips(skipped []targets.Skipped) bool {
	for _, s := range skipped {
		if s.MaybeStale {
			return true
		}
	}
	return false
}
