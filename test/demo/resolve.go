package demo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// A load balancer's DNS name has AWS's shape and resolves nowhere; the
// emulator binds its listeners on the load balancer's own loopback
// address. These reach it by name as a user would, with curl --resolve or
// an /etc/hosts line.

// reachHint tells the person watching how to reach the listener at addr
// ("127.0.100.1:8080") by dnsName from their own shell.
func reachHint(dnsName, addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("    reach it by name: curl --resolve %s:%s:%s http://%s:%s/\n    or add \"%s %s\" to /etc/hosts (GET /_emulator/hosts lists every load balancer)",
		dnsName, port, host, dnsName, port, host, dnsName)
}

// resolvingClient sends every request to addr whatever the URL's host, as
// curl --resolve does, so requests carry the load balancer's name in Host.
func resolvingClient(addr string) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
}
