package kubelet

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// proxy is a minimal kube-proxy for one node. It serves every TCP NodePort
// of every Service on the node's address and forwards each connection, as
// it is, to one endpoint of the Service (endpointsFor): connection by
// connection, as kube-proxy's iptables rules do, so a keep-alive connection
// stays with the pod it reached. It also answers each Service's
// healthCheckNodePort (proxy_health.go).
//
// Like kube-proxy, it acts on what it last synced, not on the API's
// current state: a change of Services or EndpointSlices is synced at once
// after a quiet spell, and otherwise no sooner than MinSyncPeriod after the
// last sync (kube-proxy's --iptables-min-sync-period, 1 s by default), so a
// pod that exits while its endpoint still reads ready gets connections for
// that long.
type proxy struct {
	node     string
	addr     netip.Addr
	mapper   loopbackMapper
	log      logr.Logger
	minSync  time.Duration
	services corelisters.ServiceLister
	slices   discoverylisters.EndpointSliceLister
	synced   []cache.InformerSynced
	kick     chan struct{}
	done     chan struct{}
	// endpoints is the last sync's view: where each route forwards, and
	// each Service's ready endpoints on this node.
	endpoints atomic.Pointer[proxyView]

	mu     sync.Mutex
	ports  map[int32]*nodePort
	health map[int32]*healthPort
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// proxyView is what one sync saw.
type proxyView struct {
	forward map[route][]netip.AddrPort
	// localReady counts each Service's ready endpoints on this node, by
	// namespace/name.
	localReady map[string]int
}

// route is what a NodePort forwards to.
type route struct {
	namespace, service, port string
	local                    bool
}

type nodePort struct {
	ln    net.Listener
	route atomic.Pointer[route]
	next  atomic.Uint64 // round robin
}

// newProxy registers its informers with factory, which the kubelet starts.
func newProxy(cfg Config, mapper loopbackMapper, factory informers.SharedInformerFactory) *proxy {
	p := &proxy{
		node: cfg.NodeName, addr: cfg.NodeIP, mapper: mapper, log: cfg.Logger.WithName("proxy"), minSync: cfg.ProxyMinSyncPeriod,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
		ports: map[int32]*nodePort{}, health: map[int32]*healthPort{}, conns: map[net.Conn]struct{}{},
	}
	svc := factory.Core().V1().Services()
	sl := factory.Discovery().V1().EndpointSlices()
	p.services, p.slices = svc.Lister(), sl.Lister()
	p.synced = []cache.InformerSynced{svc.Informer().HasSynced, sl.Informer().HasSynced}
	changed := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.wake() },
		UpdateFunc: func(any, any) { p.wake() },
		DeleteFunc: func(any) { p.wake() },
	}
	_, _ = svc.Informer().AddEventHandler(changed)
	_, _ = sl.Informer().AddEventHandler(changed)
	p.endpoints.Store(&proxyView{})
	return p
}

func (p *proxy) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// start waits for the informers and serves until ctx ends or stop.
func (p *proxy) start(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), p.synced...) {
		return fmt.Errorf("waiting for the Service and EndpointSlice caches of node %s's proxy: %w", p.node, ctx.Err())
	}
	p.sync()
	p.wg.Go(func() {
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.done:
				return
			case <-p.kick:
			}
			if wait := p.minSync - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-p.done:
					return
				case <-time.After(wait):
				}
			}
			last = time.Now()
			p.sync()
		}
	})
	return nil
}

// stop closes every port and connection, as a node that shuts down.
func (p *proxy) stop() {
	close(p.done)
	p.mu.Lock()
	for port, np := range p.ports {
		_ = np.ln.Close()
		delete(p.ports, port)
	}
	for port, hp := range p.health {
		hp.close()
		delete(p.health, port)
	}
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// sync takes the view of the endpoints, opens the NodePorts and health
// check ports the Services ask for and closes those they no longer do.
func (p *proxy) sync() {
	svcs, err := p.services.List(labels.Everything())
	if err != nil {
		p.log.Error(err, "Listing Services")
		return
	}
	view := &proxyView{forward: map[route][]netip.AddrPort{}, localReady: map[string]int{}}
	wantPorts, wantHealth := map[int32]route{}, map[int32]route{}
	for _, s := range svcs {
		if s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		local := s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
		for _, sp := range s.Spec.Ports {
			if sp.NodePort != 0 && (sp.Protocol == "" || sp.Protocol == corev1.ProtocolTCP) {
				r := route{namespace: s.Namespace, service: s.Name, port: sp.Name, local: local}
				wantPorts[sp.NodePort] = r
				view.forward[r] = endpointsFor(p.slicesOf(s), r.port, p.node, local)
			}
		}
		if local && s.Spec.HealthCheckNodePort != 0 {
			wantHealth[s.Spec.HealthCheckNodePort] = route{namespace: s.Namespace, service: s.Name}
			view.localReady[s.Namespace+"/"+s.Name] = localReady(p.slicesOf(s), p.node)
		}
	}
	p.endpoints.Store(view)
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	for port, np := range p.ports {
		if _, ok := wantPorts[port]; !ok {
			_ = np.ln.Close()
			delete(p.ports, port)
		}
	}
	for port, r := range wantPorts {
		if np, ok := p.ports[port]; ok {
			np.route.Store(&r)
			continue
		}
		np, err := p.listen(port, r)
		if err != nil {
			p.log.Error(err, "Cannot serve NodePort", "service", r.namespace+"/"+r.service, "nodePort", port)
			continue
		}
		p.ports[port] = np
	}
	for port, hp := range p.health {
		if _, ok := wantHealth[port]; !ok {
			hp.close()
			delete(p.health, port)
		}
	}
	for port, r := range wantHealth {
		if hp, ok := p.health[port]; ok {
			hp.route.Store(&r)
			continue
		}
		hp, err := p.serveHealth(port, r)
		if err != nil {
			p.log.Error(err, "Cannot serve healthCheckNodePort", "service", r.namespace+"/"+r.service, "port", port)
			continue
		}
		p.health[port] = hp
	}
}

// listen opens one NodePort. The caller holds p.mu.
func (p *proxy) listen(port int32, r route) (*nodePort, error) {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(p.addr, uint16(port)).String())
	if err != nil {
		return nil, err
	}
	np := &nodePort{ln: ln}
	np.route.Store(&r)
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			p.wg.Go(func() { p.forward(c, np) })
		}
	})
	p.log.V(1).Info("Serving NodePort", "service", r.namespace+"/"+r.service, "nodePort", port, "local", r.local)
	return np, nil
}

// forward splices one connection to an endpoint. With none to send to, the
// connection is closed at once, as kube-proxy rejects it.
func (p *proxy) forward(c net.Conn, np *nodePort) {
	if !p.track(c) {
		return
	}
	defer p.untrack(c)
	r := np.route.Load()
	eps := p.endpoints.Load().forward[*r]
	if len(eps) == 0 {
		return
	}
	ep := eps[np.next.Add(1)%uint64(len(eps))]
	to := netip.AddrPortFrom(p.mapper.toLoopback(ep.Addr()), ep.Port())
	if !to.Addr().IsValid() {
		return // not a pod address of this cluster: never dial it
	}
	upstream, err := net.DialTimeout("tcp", to.String(), 2*time.Second)
	if err != nil {
		p.log.V(1).Info("Endpoint refused a connection", "service", r.namespace+"/"+r.service, "endpoint", ep, "error", err.Error())
		return
	}
	if !p.track(upstream) {
		return
	}
	defer p.untrack(upstream)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(upstream, c)
	go pipe(c, upstream)
	<-done // either side ending ends the connection
}

func (p *proxy) slicesOf(s *corev1.Service) []*discoveryv1.EndpointSlice {
	slices, err := p.slices.EndpointSlices(s.Namespace).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: s.Name}))
	if err != nil {
		return nil
	}
	return slices
}

// track records a connection to close on stop; false (and the connection
// closed) once stopped.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		_ = c.Close()
		return false
	default:
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}
