package emulator

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// targetSpec is one parsed TargetDescription.
type targetSpec struct {
	key  targetKey
	addr netip.Addr
}

// parseTargets reads Targets.member.N; strict applies RegisterTargets'
// validation, otherwise only the shape is checked (DeregisterTargets and
// DescribeTargetHealth name targets that may never have been valid).
func (e *Emulator) parseTargets(p query.Params, g *targetGroup, strict bool) ([]targetSpec, *query.Error) {
	members := p.Structs("Targets")
	out := make([]targetSpec, 0, len(members))
	var instances []string
	vpc, _ := e.vpc(g.vpcID)
	for _, m := range members {
		id, az := m.String("Id"), m.String("AvailabilityZone")
		if id == "" {
			return nil, errValidation("A target ID must be specified")
		}
		// A target without a port uses the group's port (TargetDescription).
		port := int64(g.port)
		if v, ok, err := m.Int("Port"); err != nil {
			return nil, paramError(err)
		} else if ok {
			port = v
		}
		if port < 1 || port > 65535 {
			return nil, errValidation("Port %d of target '%s' must be between 1 and 65535", port, id)
		}
		spec := targetSpec{key: targetKey{id: id, port: int32(port), az: az}}
		switch g.targetType {
		case "ip":
			if strict {
				addr, qe := validateIPTarget(id, az, g.ipAddressType, vpc)
				if qe != nil {
					return nil, qe
				}
				spec.addr = addr
			} else if addr, err := netip.ParseAddr(id); err == nil {
				spec.addr = addr
			}
			if spec.addr.IsValid() {
				// AWS identifies targets by address, not spelling.
				spec.key.id = spec.addr.String()
			}
		case "instance":
			instances = append(instances, id)
			spec.addr = e.instances[id] // invalid for an instance that does not exist
		default:
			return nil, errValidation("The emulator registers ip and instance targets only; target group '%s' has target type '%s'", g.name, g.targetType)
		}
		out = append(out, spec)
	}
	if strict {
		if qe := e.checkInstances(instances); qe != nil {
			return nil, qe
		}
	}
	return out, nil
}

// present returns the registered target for key, treating a target whose
// drain has ended as gone even if the scheduler has not removed it yet.
// Callers hold e.mu.
func present(g *targetGroup, key targetKey, now time.Time) (*target, bool) {
	t, ok := g.targets[key]
	if !ok || (t.draining() && !now.Before(t.drainUntil)) {
		return nil, false
	}
	return t, true
}

// targetsOfCall reads the group and the non-empty target list that
// RegisterTargets and DeregisterTargets both take. Callers hold e.mu.
func (e *Emulator) targetsOfCall(p query.Params, strict bool) (*targetGroup, []targetSpec, *query.Error) {
	g, qe := e.lookupGroup(p.String("TargetGroupArn"))
	if qe != nil {
		return nil, nil, qe
	}
	specs, qe := e.parseTargets(p, g, strict)
	if qe != nil {
		return nil, nil, qe
	}
	if len(specs) == 0 {
		return nil, nil, errValidation("At least one target must be specified")
	}
	return g, specs, nil
}

func (e *Emulator) registerTargets(p query.Params) (any, *query.Error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, specs, qe := e.targetsOfCall(p, true)
	if qe != nil {
		return nil, qe
	}
	now := e.now()
	added := map[targetKey]bool{}
	for _, s := range specs {
		if _, ok := present(g, s.key, now); !ok {
			added[s.key] = true
		}
	}
	live := 0
	for _, t := range g.order {
		if _, ok := present(g, t.key, now); ok {
			live++
		}
	}
	// The quota counts every registered target, draining ones included; the
	// call is all or nothing.
	if live+len(added) > e.cfg.MaxTargetsPerGroup {
		return nil, errTooManyTargets("You've reached the limit on the number of targets registered to target group '%s' (%d)", g.name, e.cfg.MaxTargetsPerGroup)
	}
	for _, s := range specs {
		t, ok := g.targets[s.key]
		if ok && !t.draining() {
			continue // registering again is a no-op
		}
		if ok && now.Before(t.drainUntil) {
			// Registering a draining target cancels the deregistration and
			// starts a new registration.
			t.drainUntil, t.routeUntil, t.routedAs = time.Time{}, time.Time{}, ""
			t.registeredAt = now
			e.restartHealth(g, t)
			continue
		}
		if ok {
			e.removeTarget(g, t)
		}
		t = &target{key: s.key, addr: s.addr, registeredAt: now}
		g.targets[s.key] = t
		g.order = append(g.order, t)
		e.restartHealth(g, t)
	}
	return nil, nil
}

func (e *Emulator) deregisterTargets(p query.Params) (any, *query.Error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, specs, qe := e.targetsOfCall(p, false)
	if qe != nil {
		return nil, qe
	}
	now := e.now()
	delay := e.profile.deregistrationDelay(g.deregistrationDelay())
	in := e.healthInputs(g, now)
	for _, s := range specs {
		t, ok := present(g, s.key, now)
		if !ok || t.draining() {
			// Deregistering a target that is not registered (or already
			// leaving) succeeds and changes nothing, so retries are safe.
			continue
		}
		before := targetHealth(t, in)
		t.gen++
		if delay <= 0 {
			e.removeTarget(g, t)
			continue
		}
		t.drainUntil = now.Add(delay)
		if p := e.profile.DeregistrationPropagation; p > 0 {
			t.routeUntil, t.routedAs = now.Add(p), before.State
		}
		e.schedule(event{at: t.drainUntil, kind: eventDrainEnd, group: g, t: t, gen: t.gen})
	}
	return nil, nil
}

func (e *Emulator) describeTargetHealth(p query.Params) (any, *query.Error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	g, qe := e.lookupGroup(p.String("TargetGroupArn"))
	if qe != nil {
		return nil, qe
	}
	specs, qe := e.parseTargets(p, g, false)
	if qe != nil {
		return nil, qe
	}
	now := e.now()
	in := e.healthInputs(g, now)
	visible := func(t *target) bool {
		return now.Sub(t.registeredAt) >= e.profile.RegistrationVisibilityDelay
	}
	if len(specs) == 0 {
		out := xmlTargetHealthDescriptions{TargetHealthDescriptions: make([]xmlTargetHealthDescription, 0, len(g.order))}
		for _, t := range g.order {
			if _, ok := present(g, t.key, now); !ok || !visible(t) {
				continue
			}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describeTarget(g, t, in))
		}
		return out, nil
	}
	out := xmlTargetHealthDescriptions{TargetHealthDescriptions: make([]xmlTargetHealthDescription, 0, len(specs))}
	for _, s := range specs {
		t, ok := present(g, s.key, now)
		if !ok || !visible(t) {
			// A named target that is not registered reads as unused.
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, xmlTargetHealthDescription{
				Target:       xmlTarget{ID: s.key.id, Port: s.key.port, AvailabilityZone: s.key.az},
				TargetHealth: xmlTargetHealth{State: stateUnused, Reason: reasonNotRegistered, Description: "Target is not registered to the target group"},
			})
			continue
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describeTarget(g, t, in))
	}
	return out, nil
}

func describeTarget(g *targetGroup, t *target, in healthInputs) xmlTargetHealthDescription {
	h := targetHealth(t, in)
	return xmlTargetHealthDescription{
		Target:          xmlTarget{ID: t.key.id, Port: t.key.port, AvailabilityZone: t.key.az},
		HealthCheckPort: strconv.Itoa(int(g.healthCheckPort(t))),
		TargetHealth:    xmlTargetHealth(h),
	}
}

// healthInputs gathers what targetHealth needs for g. Callers hold e.mu.
func (e *Emulator) healthInputs(g *targetGroup, now time.Time) healthInputs {
	return healthInputs{
		now:        now,
		profile:    e.profile,
		simulated:  e.mode == HealthChecksSimulated,
		inUseSince: g.inUseSince,
		hc:         g.hc,
	}
}
