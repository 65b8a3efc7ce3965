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

func (e *Emulator) createListener(p query.Params) (any, *query.Error) {
	fwd, qe := parseForward(p)
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
	groups, qe := e.forwardGroups(lb, fwd)
	if qe != nil {
		return nil, qe
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
		arn:      e.newListenerARN(lb),
		lbARN:    lb.arn,
		lbType:   lb.lbType,
		protocol: protocol,
		port:     int32(port),
		forward:  fwd,
		addr:     ln.Addr().String(),
	}
	picker := e.picker(l.arn)
	if protocol == "TCP" {
		l.closer = dataplane.ServeTCP(ln, l.arn, picker, e.dialer, e.counter, e.log)
	} else {
		l.closer = dataplane.ServeHTTP(ln, l.arn, picker, e.dialer, e.counter, e.profile.TargetResponseTimeout, e.log)
	}
	e.listeners[l.arn] = l
	if tags, qe := parseTags(p, "Tags"); qe == nil && len(tags) > 0 {
		e.tags[l.arn] = tags
	}
	for _, g := range groups {
		e.startUsing(g)
	}
	return xmlListeners{Listeners: []xmlListener{describeListener(l)}}, nil
}

// forwardGroups looks up the groups of a forward action for lb and checks
// each as CreateListener and ModifyListener do. Callers hold e.mu.
func (e *Emulator) forwardGroups(lb *loadBalancer, fwd *forward) ([]*targetGroup, *query.Error) {
	if qe := forwardFor(lb, fwd); qe != nil {
		return nil, qe
	}
	groups := make([]*targetGroup, 0, len(fwd.groups))
	for _, wg := range fwd.groups {
		g, qe := e.lookupGroup(wg.arn)
		if qe != nil {
			return nil, qe
		}
		if (lb.lbType == lbTypeApplication) != slices.Contains(albProtocols, g.protocol) {
			return nil, query.SenderError("IncompatibleProtocols", "Target group '"+g.arn+"' uses protocol "+g.protocol+", which "+lb.lbType+" load balancer listeners cannot forward to")
		}
		if qe := checkGroupFamily(lb, g); qe != nil {
			return nil, qe
		}
		for _, other := range e.loadBalancersOf(g.arn) {
			if other != lb.arn {
				return nil, query.SenderError("TargetGroupAssociationLimit", "The target group '"+g.arn+"' is already associated with load balancer '"+other+"'")
			}
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// startUsing marks g in use once a listener forwards to it: its targets
// leave unused and go through registration and initial health checks.
// Callers hold e.mu.
func (e *Emulator) startUsing(g *targetGroup) {
	if !g.inUseSince.IsZero() {
		return
	}
	g.inUseSince = e.now()
	for _, t := range g.order {
		if !t.draining() {
			e.restartHealth(g, t)
		}
	}
}

// stopUsingIfIdle makes the group's targets unused when no listener
// forwards to it any more. Callers hold e.mu.
func (e *Emulator) stopUsingIfIdle(arn string) {
	g, ok := e.groups[arn]
	if !ok || g.inUseSince.IsZero() || len(e.loadBalancersOf(g.arn)) > 0 {
		return
	}
	g.inUseSince = timeZero
	for _, t := range g.order {
		if !t.draining() {
			e.restartHealth(g, t)
		}
	}
}

// detachListener removes l from the state; groups no other listener
// forwards to become unused. Callers hold e.mu and close l.closer after
// releasing it.
func (e *Emulator) detachListener(l *listener) {
	delete(e.listeners, l.arn)
	delete(e.tags, l.arn)
	for _, arn := range l.forward.arns() {
		e.stopUsingIfIdle(arn)
	}
}

// describeListener renders l as DescribeListeners does: a single group is
// also named in TargetGroupArn, and a network load balancer's group carries
// no weight, since NLBs take none.
func describeListener(l *listener) xmlListener {
	action := xmlAction{Type: "forward", Order: 1, ForwardConfig: &xmlForwardConfig{}}
	if len(l.forward.groups) == 1 {
		action.TargetGroupArn = l.forward.groups[0].arn
	}
	for _, g := range l.forward.groups {
		t := xmlTargetGroupTuple{TargetGroupArn: g.arn}
		if l.lbType != lbTypeNetwork {
			w := g.weight
			t.Weight = &w
		}
		action.ForwardConfig.TargetGroups = append(action.ForwardConfig.TargetGroups, t)
	}
	if l.lbType != lbTypeNetwork {
		sticky := &xmlStickiness{Enabled: l.forward.stickyEnabled}
		if l.forward.stickyEnabled {
			sticky.DurationSeconds = l.forward.stickySeconds
		}
		action.ForwardConfig.Stickiness = sticky
	}
	return xmlListener{
		ListenerArn:     l.arn,
		LoadBalancerArn: l.lbARN,
		Port:            l.port,
		Protocol:        l.protocol,
		DefaultActions:  []xmlAction{action},
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
