package binding

import (
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// actedOnAnnotations are the binding annotations a sync reads: a user
// confirming a held deregistration, and the peer binding a migrated one
// came from, whose readiness gates count as the binding's own. Neither
// moves metadata.generation.
var actedOnAnnotations = []string{
	v1alpha1.ConfirmDeregistrationAnnotation,
	v1alpha1.MigratedFromAnnotation,
}

// needsSync reports whether an update of a binding changed something a
// sync reads: the spec (generation), the start of deletion, the
// finalizers, or an annotation tgc acts on. Everything else, above all
// tgc's own status writes, which every sync that changes a count makes,
// is left out: a sync per status write would double the work of every
// endpoint change and decode each write twice.
func needsSync(old, cur client.Object) bool {
	if old.GetGeneration() != cur.GetGeneration() ||
		!old.GetDeletionTimestamp().Equal(cur.GetDeletionTimestamp()) ||
		!slices.Equal(old.GetFinalizers(), cur.GetFinalizers()) {
		return true
	}
	oa, ca := old.GetAnnotations(), cur.GetAnnotations()
	for _, k := range actedOnAnnotations {
		ov, ook := oa[k]
		cv, cok := ca[k]
		if ov != cv || ook != cok {
			return true
		}
	}
	return false
}
