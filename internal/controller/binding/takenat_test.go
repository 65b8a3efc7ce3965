package binding

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

func TestReadPriorityFollowsTheQueue(t *testing.T) {
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "web"}}
	cases := map[string]struct {
		taken  *int // nil: never handed out by the queue
		want   elbv2.Priority
		second elbv2.Priority // a later sync without a new hand-out
	}{
		"a binding from the initial list only verifies, in the background": {
			taken: new(handler.LowPriority), want: elbv2.Background, second: elbv2.Required},
		"a binding something asked for reads on the next token": {
			taken: new(0), want: elbv2.Required, second: elbv2.Required},
		"a binding found changed at a start reads on the next token": {
			taken: new(startPriority), want: elbv2.Required, second: elbv2.Required},
		"a sync the queue did not hand out reads as required": {want: elbv2.Required, second: elbv2.Required},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ta := newTakenAt()
			if tc.taken != nil {
				ta.set(req, *tc.taken)
			}
			if got := ta.readPriority(req); got != tc.want {
				t.Errorf("readPriority = %v, want %v", got, tc.want)
			}
			if got := ta.readPriority(req); got != tc.second {
				t.Errorf("second readPriority = %v, want %v (each hand-out is read once)", got, tc.second)
			}
		})
	}
}
