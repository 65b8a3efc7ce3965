package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// The control API lives under /_emulator/ and speaks JSON. It is the HTTP
// face of the in-process methods (SetProfile, ForceTargetHealth, ...), for
// tests and demos that run the emulator as a separate process.

// Duration is a time.Duration that reads and writes as "250ms" in JSON; a
// bare number is taken as seconds.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts "1.5s" or 1.5.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration %s must be a string like \"250ms\" or a number of seconds", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// profileJSON is Profile on the wire.
type profileJSON struct {
	Name                        string   `json:"name"`
	RegistrationDelay           Duration `json:"registrationDelay"`
	HealthCheckInterval         Duration `json:"healthCheckInterval"`
	HealthCheckTimeout          Duration `json:"healthCheckTimeout"`
	DeregistrationDelay         Duration `json:"deregistrationDelay"`
	MaxDeregistrationDelay      Duration `json:"maxDeregistrationDelay"`
	RegistrationVisibilityDelay Duration `json:"registrationVisibilityDelay"`
	DeregistrationPropagation   Duration `json:"deregistrationPropagation"`
	TargetResponseTimeout       Duration `json:"targetResponseTimeout"`
}

func toProfileJSON(p Profile) profileJSON {
	return profileJSON{
		Name:                        p.Name,
		RegistrationDelay:           Duration(p.RegistrationDelay),
		HealthCheckInterval:         Duration(p.HealthCheckInterval),
		HealthCheckTimeout:          Duration(p.HealthCheckTimeout),
		DeregistrationDelay:         Duration(p.DeregistrationDelay),
		MaxDeregistrationDelay:      Duration(p.MaxDeregistrationDelay),
		RegistrationVisibilityDelay: Duration(p.RegistrationVisibilityDelay),
		DeregistrationPropagation:   Duration(p.DeregistrationPropagation),
		TargetResponseTimeout:       Duration(p.TargetResponseTimeout),
	}
}

func (j profileJSON) profile() Profile {
	return Profile{
		Name:                        j.Name,
		RegistrationDelay:           time.Duration(j.RegistrationDelay),
		HealthCheckInterval:         time.Duration(j.HealthCheckInterval),
		HealthCheckTimeout:          time.Duration(j.HealthCheckTimeout),
		DeregistrationDelay:         time.Duration(j.DeregistrationDelay),
		MaxDeregistrationDelay:      time.Duration(j.MaxDeregistrationDelay),
		RegistrationVisibilityDelay: time.Duration(j.RegistrationVisibilityDelay),
		DeregistrationPropagation:   time.Duration(j.DeregistrationPropagation),
		TargetResponseTimeout:       time.Duration(j.TargetResponseTimeout),
	}
}

type faultsJSON struct {
	Latency     Duration `json:"latency"`
	ErrorRate   float64  `json:"errorRate"`
	ErrorStatus int      `json:"errorStatus"`
	Actions     []string `json:"actions,omitempty"`
}

type forceHealthJSON struct {
	TargetGroupARN string `json:"targetGroupArn"`
	ID             string `json:"id"`
	Port           int32  `json:"port"`
	State          string `json:"state"`
}

// ListenerInfo describes one listener's data plane.
type ListenerInfo struct {
	ListenerARN     string `json:"listenerArn"`
	LoadBalancerARN string `json:"loadBalancerArn"`
	Protocol        string `json:"protocol"`
	// Address is where the data plane accepts: the load balancer's own
	// loopback address and the listener's port, e.g. "127.0.100.1:80".
	Address string `json:"address"`
	// DNSName is the load balancer's, which resolves to Address's host
	// only through /etc/hosts or curl --resolve (docs/emulator.md).
	DNSName string `json:"dnsName"`
	Port    int32  `json:"port"`
	// TargetGroupARN is the first group of the forward action, the only
	// one unless it is weighted; TargetGroups has every group and weight.
	TargetGroupARN string                `json:"targetGroupArn"`
	TargetGroups   []WeightedTargetGroup `json:"targetGroups"`
}

// WeightedTargetGroup is one group of a listener's forward action.
type WeightedTargetGroup struct {
	ARN    string `json:"arn"`
	Weight int32  `json:"weight"`
}

// Listeners lists every listener with the address its data plane accepts on.
func (e *Emulator) Listeners() []ListenerInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]ListenerInfo, 0, len(e.listeners))
	for _, l := range e.listeners {
		info := ListenerInfo{ListenerARN: l.arn, LoadBalancerARN: l.lbARN, Protocol: l.protocol, Address: l.addr, Port: l.port, TargetGroupARN: l.forward.groups[0].arn}
		for _, g := range l.forward.groups {
			info.TargetGroups = append(info.TargetGroups, WeightedTargetGroup{ARN: g.arn, Weight: g.weight})
		}
		if lb, ok := e.lbs[l.lbARN]; ok {
			info.DNSName = lb.dnsName
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b ListenerInfo) int { return cmpString(a.ListenerARN, b.ListenerARN) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_emulator/profile", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, toProfileJSON(e.Profile()))
	})
	mux.HandleFunc("PUT /_emulator/profile", func(w http.ResponseWriter, r *http.Request) {
		// {"name":"fast"} or {"name":"realistic","nlb":true} selects a named
		// profile; any duration field given overrides it.
		var body struct {
			profileJSON
			NLB bool `json:"nlb"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		p := body.profile()
		if named, err := ProfileByName(body.Name, body.NLB); err == nil && p == (Profile{Name: body.Name}) {
			p = named
		}
		e.SetProfile(p)
		writeJSON(w, http.StatusOK, toProfileJSON(e.Profile()))
	})
	mux.HandleFunc("GET /_emulator/throttle", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, e.Throttle())
	})
	mux.HandleFunc("PUT /_emulator/throttle", func(w http.ResponseWriter, r *http.Request) {
		var t Throttle
		if !readJSON(w, r, &t) {
			return
		}
		e.SetThrottle(t)
		writeJSON(w, http.StatusOK, e.Throttle())
	})
	mux.HandleFunc("GET /_emulator/faults", func(w http.ResponseWriter, _ *http.Request) {
		f := e.Faults()
		writeJSON(w, http.StatusOK, faultsJSON{Latency: Duration(f.Latency), ErrorRate: f.ErrorRate, ErrorStatus: f.ErrorStatus, Actions: f.Actions})
	})
	mux.HandleFunc("PUT /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var f faultsJSON
		if !readJSON(w, r, &f) {
			return
		}
		if err := e.SetFaults(Faults{Latency: time.Duration(f.Latency), ErrorRate: f.ErrorRate, ErrorStatus: f.ErrorStatus, Actions: f.Actions}); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("GET /_emulator/health-checks", func(w http.ResponseWriter, _ *http.Request) {
		e.mu.RLock()
		mode := e.mode
		e.mu.RUnlock()
		writeJSON(w, http.StatusOK, map[string]HealthCheckMode{"mode": mode})
	})
	mux.HandleFunc("PUT /_emulator/health-checks", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Mode HealthCheckMode `json:"mode"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		if err := e.SetHealthCheckMode(body.Mode); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("POST /_emulator/target-health", func(w http.ResponseWriter, r *http.Request) {
		var body forceHealthJSON
		if !readJSON(w, r, &body) {
			return
		}
		if err := e.ForceTargetHealth(body.TargetGroupARN, body.ID, body.Port, body.State); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, _ *http.Request) {
		e.Reset()
		writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
	})
	mux.HandleFunc("GET /_emulator/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, e.RequestCounts())
	})
	mux.HandleFunc("GET /_emulator/calls", func(w http.ResponseWriter, r *http.Request) {
		calls := e.Calls()
		// ?last=N returns the N most recent calls.
		if n, err := strconv.Atoi(r.URL.Query().Get("last")); err == nil && n >= 0 && n < len(calls) {
			calls = calls[len(calls)-n:]
		}
		writeJSON(w, http.StatusOK, calls)
	})
	mux.HandleFunc("GET /_emulator/listeners", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, e.Listeners())
	})
	mux.HandleFunc("GET /_emulator/hosts", func(w http.ResponseWriter, _ *http.Request) {
		// Lines for /etc/hosts: every load balancer's address and DNS name.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(e.Hosts()))
	})
	e.accountRoutes(mux)
	mux.HandleFunc("GET /_emulator/instances", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, e.Instances())
	})
	mux.HandleFunc("PUT /_emulator/instances", func(w http.ResponseWriter, r *http.Request) {
		// {"i-0abc…":"127.0.10.1"} creates or moves an instance; an empty
		// address removes it. Instances not named are left as they are.
		var body map[string]string
		if !readJSON(w, r, &body) {
			return
		}
		if err := e.applyInstances(body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, e.Instances())
	})
}

// applyInstances sets or (with an empty address) removes each instance
// named; it changes nothing unless every entry is valid.
func (e *Emulator) applyInstances(body map[string]string) error {
	set := map[string]netip.Addr{}
	for id, a := range body {
		if a == "" {
			continue
		}
		addr, err := netip.ParseAddr(a)
		if err != nil {
			return fmt.Errorf("instance %s: address %q: %w", id, a, err)
		}
		if err := validateInstance(id, addr); err != nil {
			return err
		}
		set[id] = addr
	}
	for id, a := range body {
		if a == "" {
			e.RemoveInstance(id)
		}
	}
	for id, addr := range set {
		if err := e.SetInstance(id, addr); err != nil {
			return err
		}
	}
	return nil
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding request body: " + err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
