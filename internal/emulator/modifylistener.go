package emulator

import (
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// modifyListener replaces a listener's forward action, which is how a
// blue/green or canary rollout moves weights. The listener keeps its
// socket and its connections: requests in flight finish on the target
// they have, and the next request reads the new weights. Groups that join
// the action start being used (their targets go through registration);
// groups that leave it, and that no other listener forwards to, become
// unused.
func (e *Emulator) modifyListener(p query.Params) (any, *query.Error) {
	var fwd *forward
	if len(p.Structs("DefaultActions")) > 0 {
		var qe *query.Error
		if fwd, qe = parseForward(p); qe != nil {
			return nil, qe
		}
	}
	port, portGiven, err := p.Int("Port")
	if err != nil {
		return nil, paramError(err)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	l, qe := e.lookupListener(p.String("ListenerArn"))
	if qe != nil {
		return nil, qe
	}
	// Moving the socket would cut connections in flight; the emulator
	// changes only what a rollout changes.
	if portGiven && int32(port) != l.port {
		return nil, errValidation("The emulator cannot change a listener's port (%d to %d): delete the listener and create another", l.port, port)
	}
	if protocol := p.String("Protocol"); protocol != "" && protocol != l.protocol {
		return nil, query.SenderError("UnsupportedProtocol", "The emulator cannot change a listener's protocol from "+l.protocol+" to "+protocol)
	}
	if fwd == nil {
		return xmlListeners{Listeners: []xmlListener{describeListener(l)}}, nil
	}
	lb, qe := e.lookupLoadBalancer(l.lbARN)
	if qe != nil {
		return nil, qe
	}
	groups, qe := e.forwardGroups(lb, fwd)
	if qe != nil {
		return nil, qe
	}
	old := l.forward
	l.forward = fwd
	for _, g := range groups {
		e.startUsing(g)
	}
	for _, arn := range old.arns() {
		if !fwd.has(arn) {
			e.stopUsingIfIdle(arn)
		}
	}
	return xmlListeners{Listeners: []xmlListener{describeListener(l)}}, nil
}
