package emulator

import (
	"fmt"
	"maps"
	"net/netip"
	"strings"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// The emulated account's EC2 instances: an instance ID and the address its
// node listens on, a loopback address on this machine (the loopback kubelet
// gives each node one). RegisterTargets accepts an instance target only for
// an instance that exists, as AWS does, and the data plane and health
// checks reach it at that address, on the target's port (a node's
// NodePort, where kube-proxy forwards).

// SetInstance makes instance id exist at addr, or moves it there. Targets
// already registered for it are reached at the new address from the next
// probe or request.
func (e *Emulator) SetInstance(id string, addr netip.Addr) error {
	if err := validateInstance(id, addr); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.instances[id] = addr
	for _, g := range e.groups {
		if g.targetType != "instance" {
			continue
		}
		for _, t := range g.order {
			if t.key.id == id {
				t.addr = addr
			}
		}
	}
	return nil
}

// RemoveInstance makes instance id stop existing, as when it is terminated:
// RegisterTargets refuses it from now on. Targets already registered stay,
// at the address they had, and fail their health checks once nothing
// answers there.
func (e *Emulator) RemoveInstance(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.instances, id)
}

// Instances returns the instances that exist, by ID.
func (e *Emulator) Instances() map[string]netip.Addr {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return maps.Clone(e.instances)
}

func validateInstance(id string, addr netip.Addr) error {
	if !instanceIDPattern.MatchString(id) {
		return fmt.Errorf("instance ID %q must look like i-0123456789abcdef0", id)
	}
	if !addr.IsValid() {
		return fmt.Errorf("instance %s has no valid address", id)
	}
	return nil
}

// checkInstances applies RegisterTargets' rules for instance targets: an
// Id that is no instance ID is a ValidationError, and instances that do
// not exist are named together in one InvalidTarget, as AWS answers
// (kubernetes-sigs/aws-load-balancer-controller#272, #328). Callers hold
// e.mu.
func (e *Emulator) checkInstances(ids []string) *query.Error {
	var missing []string
	for _, id := range ids {
		if !instanceIDPattern.MatchString(id) {
			return errValidation("Instance ID '%s' is not valid", id)
		}
		if _, ok := e.instances[id]; !ok {
			missing = append(missing, "'"+id+"'")
		}
	}
	if len(missing) > 0 {
		return errInvalidTarget("The following instances do not exist: %s", strings.Join(missing, ", "))
	}
	return nil
}
