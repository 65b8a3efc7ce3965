package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// waitHealthy polls the target group until want targets are healthy,
// printing each change of the target set's states.
func waitHealthy(ctx context.Context, c *elbv2sdk.Client, arn string, want int, out io.Writer) error {
	last := ""
	for {
		h, err := c.DescribeTargetHealth(ctx, &elbv2sdk.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			return fmt.Errorf("describing target health of %s: %w", arn, err)
		}
		var lines []string
		healthy := 0
		for _, d := range h.TargetHealthDescriptions {
			state := string(d.TargetHealth.State)
			if state == "healthy" {
				healthy++
			}
			lines = append(lines, fmt.Sprintf("%s:%d %s %s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), state, d.TargetHealth.Reason))
		}
		sort.Strings(lines)
		if now := strings.Join(lines, "\n      "); now != last {
			if now == "" {
				now = "(no targets yet)"
			}
			fmt.Fprintf(out, "    targets:\n      %s\n", now)
			last = now
		}
		if healthy == want && len(h.TargetHealthDescriptions) == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d healthy targets in %s (have %d): %w", want, arn, healthy, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sendRequests sends n requests through the listener, by the load
// balancer's DNS name dialed at addr, and prints which pod answered each.
func sendRequests(ctx context.Context, dnsName, addr string, port int32, n int, out io.Writer) error {
	url := fmt.Sprintf("http://%s:%d/", dnsName, port)
	client := resolvingClient(addr)
	for i := 0; i < n; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("request %d through the load balancer: %w", i+1, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("request %d through the load balancer: %s: %s", i+1, resp.Status, body)
		}
		fmt.Fprintf(out, "    GET %s -> %d %s\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
