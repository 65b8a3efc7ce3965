package scenario

import (
	"fmt"
	"time"
)

// Scale is the size of every scenario.
type Scale struct {
	Name string `json:"name"` // "full" or "quick"

	// Fleet scenarios (restart, adopt, churn): bindings x endpoints each.
	Bindings  int `json:"bindings"`
	Endpoints int `json:"endpointsPerBinding"`

	// rollout: one binding of RolloutEndpoints, every one replaced over
	// RolloutDuration with a surge of RolloutSurge (maxSurge 25%,
	// maxUnavailable 0).
	RolloutEndpoints int           `json:"rolloutEndpoints"`
	RolloutDuration  time.Duration `json:"rolloutDuration"`

	// churn: one window per rate.
	ChurnRates  []float64     `json:"churnRates"`
	ChurnWindow time.Duration `json:"churnWindow"`

	// memory: MemoryBindings x MemoryEndpoints bound, plus unrelated pods
	// and Services.
	MemoryBindings   int           `json:"memoryBindings"`
	MemoryEndpoints  int           `json:"memoryEndpointsPerBinding"`
	UnrelatedPods    int           `json:"unrelatedPods"`
	UnrelatedSvcs    int           `json:"unrelatedServices"`
	MemoryQuiet      time.Duration `json:"memoryQuietWindow"`
	MemoryBaseline   time.Duration `json:"memoryBaselineWindow"`
	FlipCount        int           `json:"flips"`
	FlipEndpoints    int           `json:"flipEndpoints"`
	FlipInterval     time.Duration `json:"flipInterval"`
	SettleTimeout    time.Duration `json:"settleTimeout"`
	CreateWorkers    int           `json:"createWorkers"`
	MaxSliceEndpoint int           `json:"maxEndpointsPerSlice"`
	// failover: leader handovers and crashes measured per lease setting.
	FailoverRuns int `json:"failoverRuns"`
}

// FullScale is the scale BENCHMARKS.md publishes.
func FullScale() Scale {
	return Scale{
		Name:             "full",
		Bindings:         1000,
		Endpoints:        20,
		RolloutEndpoints: 500,
		RolloutDuration:  60 * time.Second,
		ChurnRates:       []float64{1, 3, 10},
		ChurnWindow:      120 * time.Second,
		MemoryBindings:   1000,
		MemoryEndpoints:  50,
		UnrelatedPods:    10000,
		UnrelatedSvcs:    2000,
		MemoryQuiet:      20 * time.Second,
		MemoryBaseline:   5 * time.Second,
		FlipCount:        100,
		FlipEndpoints:    20,
		FlipInterval:     time.Second,
		SettleTimeout:    3 * time.Minute,
		CreateWorkers:    16,
		// The EndpointSlice controller's default --max-endpoints-per-slice.
		MaxSliceEndpoint: 100,
		FailoverRuns:     10,
	}
}

// QuickScale is about a tenth of the full scale, for `make bench-quick`.
func QuickScale() Scale {
	s := FullScale()
	s.Name = "quick"
	s.Bindings = 100
	s.RolloutEndpoints = 50
	s.RolloutDuration = 20 * time.Second
	s.ChurnWindow = 15 * time.Second
	s.MemoryBindings = 100
	s.UnrelatedPods = 1000
	s.UnrelatedSvcs = 200
	s.MemoryQuiet = 8 * time.Second
	s.MemoryBaseline = 3 * time.Second
	s.FlipCount = 30
	s.FailoverRuns = 3
	s.SettleTimeout = 45 * time.Second
	return s
}

// ScaleByName returns the named scale.
func ScaleByName(name string) (Scale, error) {
	switch name {
	case "full":
		return FullScale(), nil
	case "quick":
		return QuickScale(), nil
	}
	return Scale{}, fmt.Errorf("scale %q must be full or quick", name)
}
