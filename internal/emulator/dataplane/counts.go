// Package dataplane carries real traffic for emulated listeners: an HTTP
// reverse proxy for application load balancers and a TCP splice for network
// load balancers. It asks a Picker which target gets each new request or
// connection and counts every outcome, per listener and per target.
package dataplane

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Outcome classifies one request or connection.
type Outcome int

// Outcomes the data plane distinguishes.
const (
	Success     Outcome = iota // the target answered (status < 500) or the connection was established
	Refused                    // the target refused the connection (or it was not a loopback destination)
	ServerError                // the target answered with a 5xx status
	Timeout                    // connecting or waiting for the answer timed out
	Failed                     // any other transport failure, e.g. a reset or the drain window closing
	NoTarget                   // the group had no routable target; the listener answered 503 itself
)

// Counts holds the number of requests per outcome.
type Counts struct {
	Success     uint64 `json:"success"`
	Refused     uint64 `json:"refused"`
	ServerError uint64 `json:"serverError"`
	Timeout     uint64 `json:"timeout"`
	Failed      uint64 `json:"failed"`
	NoTarget    uint64 `json:"noTarget"`
}

// Total is the number of requests counted.
func (c Counts) Total() uint64 {
	return c.Success + c.Refused + c.ServerError + c.Timeout + c.Failed + c.NoTarget
}

type counter struct{ n [NoTarget + 1]atomic.Uint64 }

func (c *counter) snapshot() Counts {
	return Counts{
		Success:     c.n[Success].Load(),
		Refused:     c.n[Refused].Load(),
		ServerError: c.n[ServerError].Load(),
		Timeout:     c.n[Timeout].Load(),
		Failed:      c.n[Failed].Load(),
		NoTarget:    c.n[NoTarget].Load(),
	}
}

// Counter accumulates outcomes per listener, per target group and per
// target. It is safe for concurrent use.
type Counter struct {
	mu        sync.RWMutex
	listeners map[string]*counter
	groups    map[string]*counter
	targets   map[string]*counter
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter {
	return &Counter{listeners: map[string]*counter{}, groups: map[string]*counter{}, targets: map[string]*counter{}}
}

// Record counts one outcome. group is "" when the listener chose no target
// group (every weight 0), and target is "" when no target was chosen.
func (c *Counter) Record(listener, group, target string, o Outcome) {
	c.get(c.listeners, listener).n[o].Add(1)
	if group != "" {
		c.get(c.groups, group).n[o].Add(1)
	}
	if target != "" {
		c.get(c.targets, target).n[o].Add(1)
	}
}

func (c *Counter) get(m map[string]*counter, key string) *counter {
	c.mu.RLock()
	e, ok := m[key]
	c.mu.RUnlock()
	if ok {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok = m[key]; !ok {
		e = &counter{}
		m[key] = e
	}
	return e
}

// Snapshot is the counts at one moment, keyed by listener, target group
// and target.
type Snapshot struct {
	Listeners, TargetGroups, Targets map[string]Counts
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() Snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Snapshot{Listeners: snapshotOf(c.listeners), TargetGroups: snapshotOf(c.groups), Targets: snapshotOf(c.targets)}
}

func snapshotOf(m map[string]*counter) map[string]Counts {
	out := make(map[string]Counts, len(m))
	for k, v := range m {
		out[k] = v.snapshot()
	}
	return out
}

// Reset forgets every count.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]*counter{c.listeners, c.groups, c.targets} {
		maps.DeleteFunc(m, func(string, *counter) bool { return true })
	}
}
