package e2e

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWorldSettled checks the pass condition on the final state, which the
// scenarios rely on without seeing it fail.
func TestWorldSettled(t *testing.T) {
	done := appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Generation: 2},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2},
	}
	cases := map[string]struct {
		w    world
		want bool
	}{
		"ready pods are exactly the healthy targets": {
			w: world{deployment: done, pods: 2, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"10.244.0.2", "10.244.0.3"},
				targets:    []string{"10.244.0.2:8080 healthy", "10.244.0.3:8080 healthy"},
				healthyIDs: []string{"10.244.0.2", "10.244.0.3"}},
			want: true,
		},
		"a target still draining is not settled": {
			w: world{deployment: done, pods: 2, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"10.244.0.2", "10.244.0.3"},
				targets:    []string{"10.244.0.1:8080 draining", "10.244.0.2:8080 healthy", "10.244.0.3:8080 healthy"},
				healthyIDs: []string{"10.244.0.2", "10.244.0.3"}},
		},
		"a ready pod whose target is initial is not settled": {
			w: world{deployment: done, pods: 2, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"10.244.0.2", "10.244.0.3"},
				targets:    []string{"10.244.0.2:8080 healthy", "10.244.0.3:8080 initial"},
				healthyIDs: []string{"10.244.0.2"}},
		},
		"an old pod still terminating is not settled": {
			w: world{deployment: done, pods: 3, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"10.244.0.2", "10.244.0.3"},
				targets:    []string{"10.244.0.2:8080 healthy", "10.244.0.3:8080 healthy"},
				healthyIDs: []string{"10.244.0.2", "10.244.0.3"}},
		},
		"nodes holding a ready pod are exactly the healthy targets": {
			w: world{deployment: done, pods: 2, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"i-0000000007f000a01"},
				targets:    []string{"i-0000000007f000a01:30080 healthy"},
				healthyIDs: []string{"i-0000000007f000a01"}},
			want: true,
		},
		"a node that should have left is not settled": {
			w: world{deployment: done, pods: 2, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"i-0000000007f000a01"},
				targets:    []string{"i-0000000007f000a01:30080 healthy", "i-0000000007f000a02:30080 healthy"},
				healthyIDs: []string{"i-0000000007f000a01", "i-0000000007f000a02"}},
		},
		"a rollout the deployment controller has not observed is not settled": {
			w: world{deployment: appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Status: done.Status},
				pods: 2, readyIPs: []string{"10.244.0.2", "10.244.0.3"}, expected: []string{"10.244.0.2", "10.244.0.3"},
				targets:    []string{"10.244.0.2:8080 healthy", "10.244.0.3:8080 healthy"},
				healthyIDs: []string{"10.244.0.2", "10.244.0.3"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.w.settled(2); got != tc.want {
				t.Fatalf("settled(2) = %v, want %v for %s", got, tc.want, tc.w)
			}
		})
	}
}
