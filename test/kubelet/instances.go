package kubelet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"time"
)

// Instances is where a node announces the EC2 instance it plays, so that a
// load balancer can reach it: the ELBv2 emulator (*emulator.Emulator in
// process, or EmulatorInstances over its control API). The node is
// announced once registered, and withdrawn when the kubelet stops, as a
// terminated instance stops existing.
type Instances interface {
	SetInstance(id string, addr netip.Addr) error
	RemoveInstance(id string)
}

// EmulatorInstances announces instances through the ELBv2 emulator's control
// API at url (PUT /_emulator/instances).
type EmulatorInstances struct {
	URL    string
	Client *http.Client // default: one with a 10 s timeout
}

var _ Instances = EmulatorInstances{}

// SetInstance makes the emulator know instance id at addr.
func (e EmulatorInstances) SetInstance(id string, addr netip.Addr) error {
	return e.put(map[string]string{id: addr.String()})
}

// RemoveInstance tells the emulator the instance is gone. It is called as
// the kubelet stops, often with the emulator stopping too, so a failure is
// not reported.
func (e EmulatorInstances) RemoveInstance(id string) { _ = e.put(map[string]string{id: ""}) }

func (e EmulatorInstances) put(body map[string]string) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, e.URL+"/_emulator/instances", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("announcing instances to %s: %w", e.URL, err)
	}
	c := e.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("announcing instances to %s: %w", e.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("announcing instances to %s: %s", e.URL, resp.Status)
	}
	return nil
}
