package emulator

import (
	"maps"
	"slices"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

const (
	lbTypeApplication = "application"
	lbTypeNetwork     = "network"
)

func (e *Emulator) lookupLoadBalancer(arn string) (*loadBalancer, *query.Error) {
	if !loadBalancerARNPattern.MatchString(arn) {
		return nil, errValidation("'%s' is not a valid load balancer ARN", arn)
	}
	lb, ok := e.lbs[arn]
	if !ok {
		return nil, errLoadBalancerNotFound("Load balancer '%s' not found", arn)
	}
	return lb, nil
}

func (e *Emulator) createLoadBalancer(p query.Params) (any, *query.Error) {
	name := p.String("Name")
	if !validName(name) {
		return nil, errValidation("Load balancer name '%s' can have a maximum of 32 characters, contain only alphanumerics or hyphens, must not begin or end with a hyphen, and must not begin with 'internal-'", name)
	}
	lbType := p.String("Type")
	if lbType == "" {
		lbType = lbTypeApplication
	}
	if lbType != lbTypeApplication && lbType != lbTypeNetwork {
		return nil, errValidation("Load balancer type '%s' is not supported by the emulator: use application or network", lbType)
	}
	scheme := p.String("Scheme")
	if scheme == "" {
		scheme = "internet-facing"
	}
	if scheme != "internet-facing" && scheme != "internal" {
		return nil, errValidation("Scheme '%s' must be internet-facing or internal", scheme)
	}
	ipType, qe := loadBalancerIPType(p.String("IpAddressType"), lbType, scheme, e.cfg.VPCs[0])
	if qe != nil {
		return nil, qe
	}
	tags, qe := parseTags(p, "Tags")
	if qe != nil {
		return nil, qe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if existing, ok := e.lbsByName[name]; ok {
		// Like CreateTargetGroup: the same settings return the existing one.
		if existing.lbType != lbType || existing.scheme != scheme || existing.ipAddressType != ipType {
			return nil, query.SenderError("DuplicateLoadBalancerName", "A load balancer with the same name '"+name+"' exists, but with different settings")
		}
		return xmlLoadBalancers{LoadBalancers: []xmlLoadBalancer{e.describeLB(existing)}}, nil
	}
	addr, release, qe := e.takeAddress()
	if qe != nil {
		return nil, qe
	}
	arn, id := e.newLoadBalancerARN(caller(p), name, lbType)
	vpcID := e.cfg.VPCs[0].ID
	if vpcs := e.vpcsOf(caller(p)); len(vpcs) > 0 {
		vpcID = vpcs[0].ID
	}
	lb := &loadBalancer{
		arn: arn, name: name, lbType: lbType, scheme: scheme, ipAddressType: ipType,
		vpcID: vpcID, created: e.now(), addr: addr, release: release,
	}
	if lbType == lbTypeNetwork {
		lb.dnsName = name + "-" + id[:10] + ".elb." + e.cfg.Region + ".amazonaws.com"
	} else {
		lb.dnsName = name + "-" + id[:10] + "." + e.cfg.Region + ".elb.amazonaws.com"
	}
	e.lbs[arn] = lb
	e.lbsByName[name] = lb
	if len(tags) > 0 {
		e.tags[arn] = tags
	}
	// The DNS name resolves nowhere: this line is how a user reaches the
	// load balancer by name (docs/emulator.md).
	e.log.Info("load balancer created", "name", name, "address", addr.String(), "dnsName", lb.dnsName, "etcHosts", hostsLine(lb))
	return xmlLoadBalancers{LoadBalancers: []xmlLoadBalancer{e.describeLB(lb)}}, nil
}

func (e *Emulator) describeLB(lb *loadBalancer) xmlLoadBalancer {
	return xmlLoadBalancer{
		LoadBalancerArn:       lb.arn,
		DNSName:               lb.dnsName,
		CanonicalHostedZoneID: "Z35SXDOTRQ7X7K",
		CreatedTime:           lb.created.UTC().Format(time.RFC3339),
		LoadBalancerName:      lb.name,
		Scheme:                lb.scheme,
		VpcID:                 lb.vpcID,
		// The emulator provisions instantly; AWS reports provisioning first.
		State:             xmlLBState{Code: "active"},
		Type:              lb.lbType,
		AvailabilityZones: []xmlAvailabilityZone{{ZoneName: e.cfg.Region + "a"}, {ZoneName: e.cfg.Region + "b"}},
		IPAddressType:     lb.ipAddressType,
	}
}

func (e *Emulator) describeLoadBalancers(p query.Params) (any, *query.Error) {
	size, qe := pageSize(p)
	if qe != nil {
		return nil, qe
	}
	arns, names := p.List("LoadBalancerArns"), p.List("Names")
	if len(arns) > 0 && len(names) > 0 {
		return nil, errValidation("Load balancer ARNs and names cannot be specified together")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	byName := map[string]*loadBalancer{}
	switch {
	case len(arns) > 0:
		for _, arn := range arns {
			lb, qe := e.lookupLoadBalancer(arn)
			if qe != nil {
				return nil, qe
			}
			byName[lb.name] = lb
		}
	case len(names) > 0:
		for _, n := range names {
			lb, ok := e.lbsByName[n]
			if !ok {
				return nil, errLoadBalancerNotFound("Load balancers '[%s]' not found", n)
			}
			byName[n] = lb
		}
	default:
		maps.Copy(byName, e.lbsByName)
	}
	for n, lb := range byName {
		if account := caller(p); account != "" && arnAccount(lb.arn) != account {
			if len(names) > 0 {
				return nil, errLoadBalancerNotFound("Load balancers '[%s]' not found", n)
			}
			delete(byName, n) // another account's
		}
	}
	keys, next, qe := page(slices.Sorted(maps.Keys(byName)), p.String("Marker"), size)
	if qe != nil {
		return nil, qe
	}
	out := xmlLoadBalancers{NextMarker: next}
	for _, k := range keys {
		out.LoadBalancers = append(out.LoadBalancers, e.describeLB(byName[k]))
	}
	return out, nil
}

func (e *Emulator) deleteLoadBalancer(p query.Params) (any, *query.Error) {
	arn := p.String("LoadBalancerArn")
	if !loadBalancerARNPattern.MatchString(arn) {
		return nil, errValidation("'%s' is not a valid load balancer ARN", arn)
	}
	var closers []*listener
	var gone []*loadBalancer
	e.mu.Lock()
	lb, ok := e.lbs[arn]
	if ok {
		// Deleting a load balancer also deletes its listeners.
		for _, l := range e.listeners {
			if l.lbARN == arn {
				e.detachListener(l)
				closers = append(closers, l)
			}
		}
		delete(e.lbs, arn)
		delete(e.lbsByName, lb.name)
		delete(e.tags, arn)
		gone = append(gone, lb)
	}
	e.mu.Unlock()
	// Close outside the lock: a TCP listener waits for its connections,
	// which may be waiting for the lock to pick a target. The address is
	// free once nothing listens on it.
	for _, l := range closers {
		_ = l.closer.Close()
	}
	releaseAddresses(gone)
	// "If the load balancer does not exist or has already been deleted,
	// the call succeeds" (DeleteLoadBalancer reference).
	return nil, nil
}
