package emulator

import (
	"maps"
	"net"
	"slices"
	"strconv"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dataplane"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

func (e *Emulator) lookupListener(arn string) (*listener, *query.Error) {
	if !listenerARNPattern.MatchString(arn) {
		return nil, errValidation("'%s' is not a valid listener ARN", arn)
	}
	l, ok := e.listeners[arn]
	if !ok {
		return nil, errListenerNotFound("Listener '%s' not found", arn)
	}
	return l, nil
}

// forwardTarget reads the single forward default action the emulator
// supports, given either as TargetGroupArn or as a ForwardConfig with one
// target group.
func forwardTarget(p query.Params) (string, *query.Error) {
	actions := p.Structs("DefaultActions")
	if len(actions) != 1 || actions[0].String("Type") != "forward" {
		return "", errValidation("The emulator supports exactly one default action of type 'forward'")
	}
	a := actions[0]
	arn := a.String("TargetGroupArn")
	groups := a.Structs("ForwardConfig.TargetGroups")
	if arn == "" && len(groups) == 1 {
		arn = groups[0].String("TargetGroupArn")
	}
	if arn == "" || len(groups) > 1 || (len(groups) == 1 && groups[0].String("TargetGroupArn") != arn) {
		return "", errValidation("A forward action must name exactly one target group")
	}
	return arn, nil
}

func (e *Emulator) createListener(p query.Params) (any, *query.Error) {
	tgARN, qe := forwardTarget(p)
	if qe != nil {
		return nil, qe
	}
	port, ok, err := p.Int("Port")
	if err != nil {
		return nil, paramError(err)
	}
	if !ok || port < 1 || port > 65535 {
		return nil, errValidation("A listener port between 1 and 65535 must be specified")
	}
	protocol := p.String("Protocol")

	e.mu.Lock()
	defer e.mu.Unlock()
	lb, qe := e.lookupLoadBalancer(p.String("LoadBalancerArn"))
	if qe != nil {
		return nil, qe
	}
	if protocol == "" {
		protocol = "HTTP"
		if lb.lbType == lbTypeNetwork {
			protocol = "TCP"
		}
	}
	// The data plane speaks plain HTTP for ALBs and TCP for NLBs.
	if (lb.lbType == lbTypeApplication && protocol != "HTTP") || (lb.lbType == lbTypeNetwork && protocol != "TCP") {
		return nil, query.SenderError("UnsupportedProtocol", "The emulator supports HTTP listeners on application and TCP listeners on network load balancers; got "+protocol)
	}
	g, qe := e.lookupGroup(tgARN)
	if qe != nil {
		return nil, qe
	}
	if (lb.lbType == lbTypeApplication) != slices.Contains(albProtocols, g.protocol) {
		return nil, query.SenderError("IncompatibleProtocols", "Target group '"+g.arn+"' uses protocol "+g.protocol+", which "+lb.lbType+" load balancer listeners cannot forward to")
	}
	for _, other := range e.loadBalancersOf(g.arn) {
		if other != lb.arn {
			return nil, query.SenderError("TargetGroupAssociationLimit", "The target group '"+g.arn+"' is already associated with load balancer '"+other+"'")
		}
	}
	for _, l := range e.listeners {
		if l.lbARN == lb.arn && l.port == int32(port) {
			return nil, query.SenderError("DuplicateListener", "A listener already exists on port "+strconv.Itoa(int(port)))
		}
	}
	addr := net.JoinHostPort(lb.addr.String(), strconv.Itoa(int(port)))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, errValidation("The emulator cannot open listener port %d on %s, the load balancer's address: %v", port, lb.addr, err)
	}
	l := &listener{
		arn:         e.newListenerARN(lb),
		lbARN:       lb.arn,
		protocol:    protocol,
		port:        int32(port),
		targetGroup: g.arn,
		addr:        ln.Addr().String(),
	}
	picker := e.picker(g.arn)
	if protocol == "TCP" {
		l.closer = dataplane.ServeTCP(ln, l.arn, picker, e.dialer, e.counter, e.log)
	} else {
		l.closer = dataplane.ServeHTTP(ln, l.arn, picker, e.dialer, e.counter, e.profile.TargetResponseTimeout, e.log)
	}
	e.listeners[l.arn] = l
	if tags, qe := parseTags(p, "Tags"); qe == nil && len(tags) > 0 {
		e.tags[l.arn] = tags
	}
	if g.inUseSince.IsZero() {
		// The group starts receiving traffic: its targets leave unused and
		// go through registration and initial health checks.
		g.inUseSince = e.now()
		for _, t := range g.order {
			if !t.draining() {
				e.restartHealth(g, t)
			}
		}
	}
	return xmlListeners{Listeners: []xmlListener{describeListener(l)}}, nil
}

// detachListener removes l from the state; when no listener forwards to its
// group any more, the group's targets become unused. Callers hold e.mu and
// close l.closer after releasing it.
func (e *Emulator) detachListener(l *listener) {
	delete(e.listeners, l.arn)
	delete(e.tags, l.arn)
	g, ok := e.groups[l.targetGroup]
	if !ok || len(e.loadBalancersOf(g.arn)) > 0 {
		return
	}
	g.inUseSince = timeZero
	for _, t := range g.order {
		if !t.draining() {
			e.restartHealth(g, t)
		}
	}
}

func describeListener(l *listener) xmlListener {
	return xmlListener{
		ListenerArn:     l.arn,
		LoadBalancerArn: l.lbARN,
		Port:            l.port,
		Protocol:        l.protocol,
		DefaultActions: []xmlAction{{
			Type:           "forward",
			TargetGroupArn: l.targetGroup,
			Order:          1,
			ForwardConfig:  &xmlForwardConfig{TargetGroups: []xmlTargetGroupTuple{{TargetGroupArn: l.targetGroup, Weight: 1}}},
		}},
	}
}

func (e *Emulator) describeListeners(p query.Params) (any, *query.Error) {
	size, qe := pageSize(p)
	if qe != nil {
		return nil, qe
	}
	arns, lbARN := p.List("ListenerArns"), p.String("LoadBalancerArn")
	if (len(arns) == 0) == (lbARN == "") {
		return nil, errValidation("Specify either a load balancer ARN or listener ARNs")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	byARN := map[string]*listener{}
	if lbARN != "" {
		if _, qe := e.lookupLoadBalancer(lbARN); qe != nil {
			return nil, qe
		}
		for _, l := range e.listeners {
			if l.lbARN == lbARN {
				byARN[l.arn] = l
			}
		}
	}
	for _, arn := range arns {
		l, qe := e.lookupListener(arn)
		if qe != nil {
			return nil, qe
		}
		byARN[arn] = l
	}
	keys, next, qe := page(slices.Sorted(maps.Keys(byARN)), p.String("Marker"), size)
	if qe != nil {
		return nil, qe
	}
	out := xmlListeners{NextMarker: next}
	for _, k := range keys {
		out.Listeners = append(out.Listeners, describeListener(byARN[k]))
	}
	return out, nil
}

func (e *Emulator) deleteListener(p query.Params) (any, *query.Error) {
	e.mu.Lock()
	l, qe := e.lookupListener(p.String("ListenerArn"))
	if qe != nil {
		e.mu.Unlock()
		return nil, qe
	}
	e.detachListener(l)
	e.mu.Unlock()
	_ = l.closer.Close()
	return nil, nil
}
