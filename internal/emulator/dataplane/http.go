package dataplane

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"time"

	"github.com/go-logr/logr"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

// HTTPListener is an application load balancer listener: every request is
// routed on its own, so a client's keep-alive connection never pins a target.
type HTTPListener struct {
	name    string
	ln      net.Listener
	server  *http.Server
	picker  Picker
	counter *Counter
	log     logr.Logger
	proxy   *httputil.ReverseProxy
}

type backendKey struct{}

// ServeHTTP starts serving ln. name labels the counts (the listener ARN).
// responseTimeout bounds the wait for a target's answer; ALB's equivalent is
// the idle timeout, 60 s by default, after which it answers 504.
func ServeHTTP(ln net.Listener, name string, picker Picker, d *dial.Dialer, counter *Counter, responseTimeout time.Duration, log logr.Logger) *HTTPListener {
	l := &HTTPListener{name: name, ln: ln, picker: picker, counter: counter, log: log}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, ap)
		},
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       60 * time.Second,
		ResponseHeaderTimeout: responseTimeout,
	}
	l.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			b := pr.In.Context().Value(backendKey{}).(Backend)
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = b.Addr.String()
			// ALB forwards the client's Host header and adds X-Forwarded-*.
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: transport,
		ModifyResponse: func(resp *http.Response) error {
			b := resp.Request.Context().Value(backendKey{}).(Backend)
			outcome := Success
			if resp.StatusCode >= 500 {
				outcome = ServerError
			}
			l.counter.Record(l.name, b.Group, b.Key, outcome)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			b := r.Context().Value(backendKey{}).(Backend)
			outcome := classify(err)
			l.counter.Record(l.name, b.Group, b.Key, outcome)
			l.log.V(1).Info("proxying failed", "listener", l.name, "target", b.Key, "error", err.Error())
			// ALB answers 504 when the target does not answer in time and
			// 502 for other target-side failures.
			if outcome == Timeout {
				w.WriteHeader(http.StatusGatewayTimeout)
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
		ErrorLog: nil,
	}
	l.server = &http.Server{Handler: l, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := l.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "listener stopped", "listener", name)
		}
	}()
	return l
}

// ServeHTTP routes one request.
func (l *HTTPListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := l.picker.Pick()
	if !ok {
		// ALB answers 503 when the target group has no targets to route to.
		l.counter.Record(l.name, b.Group, "", NoTarget)
		http.Error(w, "503 Service Temporarily Unavailable", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := untilGone(r.Context(), b.Gone)
	defer cancel()
	ctx = context.WithValue(ctx, backendKey{}, b)
	l.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// Addr is the address the listener accepts on.
func (l *HTTPListener) Addr() string { return l.ln.Addr().String() }

// Close stops accepting and drops open connections.
func (l *HTTPListener) Close() error {
	err := l.server.Close()
	if t, ok := l.proxy.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	return err
}
