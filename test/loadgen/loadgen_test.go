package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	cases := map[string]struct {
		handler      func(n int64) int // status to answer the nth request with
		wantFailures bool
	}{
		"every request answered 200 counts as ok": {
			handler: func(int64) int { return http.StatusOK },
		},
		"a 502 from the load balancer is recorded as a failure": {
			handler:      func(n int64) int { return map[bool]int{true: http.StatusBadGateway, false: http.StatusOK}[n%3 == 0] },
			wantFailures: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.handler(n.Add(1)))
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			r := New(Config{URL: srv.URL, Rate: 200}).Run(ctx)
			if r.Sent < 20 {
				t.Fatalf("sent %d requests in 300ms at 200/s, want at least 20", r.Sent)
			}
			if r.Sent != r.OK+len(r.Failures) {
				t.Fatalf("tally does not add up: %s", r)
			}
			if got := len(r.Failures) > 0; got != tc.wantFailures {
				t.Fatalf("failures recorded = %v, want %v (%s)", got, tc.wantFailures, r)
			}
			for _, f := range r.Failures {
				if f.Status != http.StatusBadGateway {
					t.Fatalf("failure %+v, want status 502", f)
				}
			}
		})
	}
}

func TestRunRecordsRefusedConnections(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r := New(Config{URL: url, Rate: 100}).Run(ctx)
	if r.Sent == 0 || r.OK != 0 || len(r.Failures) != r.Sent {
		t.Fatalf("want every request failed, got %s", r)
	}
	if r.Failures[0].Status != 0 || r.Failures[0].Cause == "" {
		t.Fatalf("want a cause and no status for a refused connection, got %+v", r.Failures[0])
	}
}
