package scenario

import (
	"encoding/json"
	"testing"
)

func TestUnrelatedPodIsOfRealisticSize(t *testing.T) {
	b, err := json.Marshal(unrelatedPod(unrelatedApp(1234), 4321))
	if err != nil {
		t.Fatal(err)
	}
	// Pods of realistic size, 4-8 KB of JSON each, so that the API server
	// and watches carry what a real cluster's pods weigh.
	if len(b) < 4*1024 || len(b) > 8*1024 {
		t.Errorf("a pod is %d bytes of JSON, want 4-8 KB", len(b))
	}
}

func TestPodIPsStayInThePodCIDRAndAvoidNetworkAndBroadcastAddresses(t *testing.T) {
	cases := map[string]struct {
		n    int
		want string
	}{
		"the first address":               {0, "10.244.0.1"},
		"the last of the first /24":       {253, "10.244.0.254"},
		"the next /24 skips .0 and .255":  {254, "10.244.1.1"},
		"the 60,000th address still fits": {59999, "10.244.236.56"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := podIP(tc.n); got != tc.want {
				t.Errorf("podIP(%d) = %s, want %s", tc.n, got, tc.want)
			}
		})
	}
}
