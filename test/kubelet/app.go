package kubelet

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// app is what "runs" in a pod: one HTTP server per TCP container port, all on
// the pod's loopback address. Its behaviour can change while it runs because
// a test may edit the pod's annotations.
type app struct {
	podName     string // namespace/name, for the response body
	podIP       netip.Addr
	loopback    netip.Addr
	ports       []int32
	healthPaths map[string]bool
	clock       clock.Clock
	behaviour   atomic.Pointer[Behaviour]

	mu      sync.Mutex
	servers []*http.Server
	wg      sync.WaitGroup
}

func newApp(pod *corev1.Pod, podIP, loopback netip.Addr, clk clock.Clock) *app {
	a := &app{
		podName:     pod.Namespace + "/" + pod.Name,
		podIP:       podIP,
		loopback:    loopback,
		ports:       tcpPorts(pod),
		healthPaths: healthPaths(pod),
		clock:       clk,
	}
	a.behaviour.Store(&Behaviour{})
	return a
}

// tcpPorts lists the pod's distinct TCP container ports. Every container
// shares the pod's address, as containers share a network namespace.
func tcpPorts(pod *corev1.Pod) []int32 {
	var ports []int32
	seen := map[int32]bool{}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
				continue
			}
			if !seen[p.ContainerPort] {
				seen[p.ContainerPort] = true
				ports = append(ports, p.ContainerPort)
			}
		}
	}
	return ports
}

func healthPaths(pod *corev1.Pod) map[string]bool {
	paths := map[string]bool{"/healthz": true}
	for _, c := range pod.Spec.Containers {
		if p := c.ReadinessProbe; p != nil && p.HTTPGet != nil {
			paths[probePath(p.HTTPGet)] = true
		}
	}
	return paths
}

func (a *app) setBehaviour(b Behaviour) { a.behaviour.Store(&b) }

// listen opens every port. A port that cannot be opened is an error: the
// pod would otherwise look healthy while nothing serves.
func (a *app) listen() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, port := range a.ports {
		addr := netip.AddrPortFrom(a.loopback, uint16(port)).String()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listening on %s for pod %s: %w", addr, a.podName, err)
		}
		srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
		a.servers = append(a.servers, srv)
		// Serve returns once stop closes the server; there is nothing
		// to report then.
		a.wg.Go(func() { _ = srv.Serve(ln) })
	}
	return nil
}

// stop closes listeners and connections at once, as a process exiting
// would: in-flight requests fail, new connections are refused.
func (a *app) stop() {
	a.mu.Lock()
	servers := a.servers
	a.servers = nil
	a.mu.Unlock()
	for _, s := range servers {
		_ = s.Close()
	}
	a.wg.Wait()
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := a.behaviour.Load()
	if b.ResponseDelay > 0 {
		select {
		case <-a.clock.After(b.ResponseDelay):
		case <-r.Context().Done():
			return
		}
	}
	// ?delay=4s makes one request slow, as a long upload or report would
	// be: scenarios mix such requests into the load to see whether a
	// rollout cuts them.
	if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil && d > 0 && !a.healthPaths[r.URL.Path] {
		select {
		case <-a.clock.After(d):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if b.FailHealth && a.healthPaths[r.URL.Path] {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "pod=%s ip=%s health=failing\n", a.podName, a.podIP)
		return
	}
	fmt.Fprintf(w, "pod=%s ip=%s\n", a.podName, a.podIP)
}

// probeTarget is the loopback URL a container's readiness probe checks.
func probeTarget(c corev1.Container, loopback netip.Addr) (string, error) {
	g := c.ReadinessProbe.HTTPGet
	port, err := resolvePort(g.Port.String(), c)
	if err != nil {
		return "", err
	}
	return "http://" + netip.AddrPortFrom(loopback, uint16(port)).String() + probePath(g), nil
}

func probePath(g *corev1.HTTPGetAction) string {
	if g.Path == "" {
		return "/"
	}
	return g.Path
}

// resolvePort turns an httpGet port (number or container port name) into a
// number, as the kubelet's prober does.
func resolvePort(port string, c corev1.Container) (int32, error) {
	if n, err := strconv.Atoi(port); err == nil {
		if n <= 0 || n > 65535 {
			return 0, fmt.Errorf("container %s: probe port %d is out of range", c.Name, n)
		}
		return int32(n), nil
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return p.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("container %s: probe port %q names no container port", c.Name, port)
}

// serving reports whether the app is listening. Used by tests of the pod's
// lifecycle.
func (a *app) serving() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.servers) > 0
}
