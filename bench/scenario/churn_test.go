package scenario

import (
	"math/rand/v2"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
)

func testFleet(services, endpoints int) *fleet {
	f := &fleet{}
	ips := &ipAllocator{}
	for i := range services {
		s := &service{name: "svc-" + string(rune('a'+i))}
		var eps []discoveryv1.Endpoint
		for range endpoints {
			eps = append(eps, readyEndpoint(ips.take()))
		}
		s.slices = []*discoveryv1.EndpointSlice{s.newSlice(eps)}
		f.services = append(f.services, s)
	}
	return f
}

func TestChurnAlternatesDirectionsAndLeavesEndpointsOutForMinDown(t *testing.T) {
	c := newChurnState(rand.New(rand.NewPCG(1, 2)), testFleet(3, 4))
	t0 := time.Unix(1000, 0)
	type step struct {
		at   time.Duration
		want endpointState
	}
	cases := map[string]struct {
		steps []step
	}{
		"an odd change with nothing out for minDown takes another endpoint out": {
			steps: []step{{0, stateNotReady}, {time.Second, stateNotReady}},
		},
		"an odd change readies an endpoint once it has been out for minDown": {
			steps: []step{{0, stateNotReady}, {minDown, stateReady}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c.down = map[string]downEntry{}
			var out string
			for k, st := range tc.steps {
				_, ip, got := c.pick(k, t0.Add(st.at))
				if got != st.want {
					t.Fatalf("change %d = %v, want %v", k, got, st.want)
				}
				if got == stateNotReady {
					if _, ok := c.down[ip]; !ok {
						t.Fatalf("endpoint %s taken out but not tracked", ip)
					}
					out = ip
				} else if ip != out {
					t.Fatalf("readied %s, want the endpoint taken out, %s", ip, out)
				}
			}
		})
	}
}

func TestChurnNeverTakesOutAnEndpointThatIsAlreadyOut(t *testing.T) {
	c := newChurnState(rand.New(rand.NewPCG(7, 7)), testFleet(2, 3))
	t0 := time.Unix(1000, 0)
	seen := map[string]bool{}
	// Even changes only: six endpoints, six distinct ones go out.
	for k := 0; k < 12; k += 2 {
		_, ip, st := c.pick(k, t0)
		if st != stateNotReady || seen[ip] {
			t.Fatalf("change %d took out %s (%v) again", k, ip, st)
		}
		seen[ip] = true
	}
	if _, _, st := c.pick(12, t0); st != stateReady {
		t.Errorf("with every endpoint out, a change took out %v, want one readied again", st)
	}
}
