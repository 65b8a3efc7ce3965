package emulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Faults injects latency and server errors into API calls.
type Faults struct {
	// Latency is added to every matching call before it is served.
	Latency time.Duration
	// ErrorRate is the fraction (0..1) of matching calls answered with a
	// server error instead of being served.
	ErrorRate float64
	// ErrorStatus is the HTTP status of injected errors: 500
	// (InternalFailure, the default) or 503 (ServiceUnavailable).
	ErrorStatus int
	// Actions limits faults to these actions; empty means all.
	Actions []string
}

func (f Faults) validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("fault error rate %v must be between 0 and 1", f.ErrorRate)
	}
	if f.Latency < 0 {
		return fmt.Errorf("fault latency %v must not be negative", f.Latency)
	}
	switch f.ErrorStatus {
	case 0, http.StatusInternalServerError, http.StatusServiceUnavailable:
	default:
		return fmt.Errorf("fault error status %d must be 500 or 503", f.ErrorStatus)
	}
	return nil
}

type faultInjector struct {
	mu  sync.Mutex
	cfg Faults
	rnd *rand.Rand
}

func newFaultInjector(f Faults) *faultInjector {
	return &faultInjector{cfg: f, rnd: rand.New(rand.NewPCG(1, 2))}
}

func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.cfg = f
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.cfg
}

// decide returns the latency to add and the error to answer, if any.
func (fi *faultInjector) decide(action string) (time.Duration, *query.Error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.cfg
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return 0, nil
	}
	if f.ErrorRate <= 0 || fi.rnd.Float64() >= f.ErrorRate {
		return f.Latency, nil
	}
	if f.ErrorStatus == http.StatusServiceUnavailable {
		return f.Latency, &query.Error{Status: http.StatusServiceUnavailable, Type: "Receiver", Code: "ServiceUnavailable", Message: "Service is unavailable (injected by the emulator)"}
	}
	return f.Latency, &query.Error{Status: http.StatusInternalServerError, Type: "Receiver", Code: "InternalFailure", Message: "An internal error occurred (injected by the emulator)"}
}
