package kubelet

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"
)

// healthPort is kube-proxy's health check server for one Service with
// externalTrafficPolicy Local, on its healthCheckNodePort: every path
// answers 200 while the node runs a ready endpoint of the Service, 503
// otherwise, with kube-proxy's JSON body. A load balancer checking this
// port stops sending to a node as soon as its last pod stops being ready,
// terminating pods included.
type healthPort struct {
	srv   *http.Server
	route atomic.Pointer[route]
}

func (p *proxy) serveHealth(port int32, r route) (*healthPort, error) {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(p.addr, uint16(port)).String())
	if err != nil {
		return nil, err
	}
	hp := &healthPort{}
	hp.route.Store(&r)
	hp.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r := hp.route.Load()
		n := p.endpoints.Load().localReady[r.namespace+"/"+r.service]
		status := http.StatusOK
		if n == 0 {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"service":        map[string]string{"namespace": r.namespace, "name": r.service},
			"localEndpoints": n,
		})
	})}
	p.wg.Go(func() {
		if err := hp.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error(err, "healthCheckNodePort stopped", "port", port)
		}
	})
	return hp, nil
}

func (hp *healthPort) close() { _ = hp.srv.Close() }
