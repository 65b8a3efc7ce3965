// Package probe runs one real health check against one target, the way an
// ELBv2 health checker does: a TCP connect, or an HTTP(S) GET whose status
// must match the group's matcher within the health-check timeout.
package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

// Reason codes from the TargetHealth reference
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
const (
	ReasonFailedHealthChecks   = "Target.FailedHealthChecks"
	ReasonTimeout              = "Target.Timeout"
	ReasonResponseCodeMismatch = "Target.ResponseCodeMismatch"
)

// Spec is the part of a target group's health-check settings a probe needs.
type Spec struct {
	Protocol string // HTTP, HTTPS or TCP
	Path     string
	Matcher  string // HttpCode, e.g. "200", "200-299", "200,302"
	Timeout  time.Duration
}

// Result is one probe's outcome, phrased as DescribeTargetHealth would.
type Result struct {
	Healthy     bool
	Reason      string
	Description string
}

// Prober runs probes through the emulator's loopback-only dialer.
type Prober struct {
	dialer *dial.Dialer
	client *http.Client
}

// New returns a Prober dialing through d.
func New(d *dial.Dialer) *Prober {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				return nil, fmt.Errorf("health check address %q: %w", addr, err)
			}
			return d.DialContext(ctx, ap)
		},
		// Health checkers open a fresh connection per check; pooling would
		// hide a target that stopped accepting connections.
		DisableKeepAlives: true,
		// AWS does not validate target certificates for HTTPS health checks
		// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // matches ELB behaviour
	}
	return &Prober{
		dialer: d,
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Close releases idle resources.
func (p *Prober) Close() { p.client.CloseIdleConnections() }

// Probe checks addr once.
func (p *Prober) Probe(ctx context.Context, spec Spec, addr netip.AddrPort) Result {
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	switch strings.ToUpper(spec.Protocol) {
	case "HTTP", "HTTPS":
		return p.probeHTTP(ctx, spec, addr)
	default:
		return p.probeTCP(ctx, addr)
	}
}

func (p *Prober) probeTCP(ctx context.Context, addr netip.AddrPort) Result {
	conn, err := p.dialer.DialContext(ctx, addr)
	if err != nil {
		return failure(err)
	}
	_ = conn.Close()
	return Result{Healthy: true}
}

func (p *Prober) probeHTTP(ctx context.Context, spec Spec, addr netip.AddrPort) Result {
	scheme := strings.ToLower(spec.Protocol)
	path := spec.Path
	if path == "" {
		path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr.String()+path, nil)
	if err != nil {
		return Result{Reason: ReasonFailedHealthChecks, Description: "Health checks failed: " + err.Error()}
	}
	// The user agent ALB health checks send.
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := p.client.Do(req)
	if err != nil {
		return failure(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if !Matches(spec.Matcher, resp.StatusCode) {
		return Result{
			Reason:      ReasonResponseCodeMismatch,
			Description: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode),
		}
	}
	return Result{Healthy: true}
}

func failure(err error) Result {
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return Result{Reason: ReasonTimeout, Description: "Request timed out"}
	}
	return Result{Reason: ReasonFailedHealthChecks, Description: "Health checks failed"}
}

// Matches reports whether code satisfies an ELB matcher: a comma-separated
// list of codes and ranges ("200,202" or "200-299"). An empty matcher means
// the ALB default, 200.
func Matches(matcher string, code int) bool {
	if strings.TrimSpace(matcher) == "" {
		matcher = "200"
	}
	for part := range strings.SplitSeq(matcher, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		from, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		to := from
		if isRange {
			if to, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		if code >= from && code <= to {
			return true
		}
	}
	return false
}

// ValidMatcher reports whether matcher parses as codes and ranges.
func ValidMatcher(matcher string) bool {
	for part := range strings.SplitSeq(matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		from, err := strconv.Atoi(lo)
		if err != nil || from < 100 || from > 599 {
			return false
		}
		if isRange {
			to, err := strconv.Atoi(hi)
			if err != nil || to < from || to > 599 {
				return false
			}
		}
	}
	return true
}
