package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

const (
	instanceA = "i-0123456789abcdef0"
	instanceB = "i-0123456789abcdef1"
)

func instanceGroup(in *elbv2.CreateTargetGroupInput) {
	in.TargetType = types.TargetTypeEnumInstance
	in.HealthCheckPath = aws.String("/healthz")
}

func instanceTarget(id string, port int32) types.TargetDescription {
	return types.TargetDescription{Id: aws.String(id), Port: aws.Int32(port)}
}

func TestInstanceTargetValidation(t *testing.T) {
	h := start(t, func(c *Config) { c.Instances = map[string]netip.Addr{instanceA: netip.MustParseAddr("127.0.10.1")} })
	tg := h.group(instanceGroup)
	cases := map[string]struct {
		targets []types.TargetDescription
		code    string
		message string
	}{
		"an instance that exists is accepted": {targets: []types.TargetDescription{instanceTarget(instanceA, 30080)}},
		"instances that do not exist are named together": {
			targets: []types.TargetDescription{instanceTarget(instanceA, 30080), instanceTarget(instanceB, 30080), instanceTarget("i-0fedcba9", 30080)},
			code:    "InvalidTarget", message: "The following instances do not exist: '" + instanceB + "', 'i-0fedcba9'",
		},
		"an IP is no instance ID": {targets: []types.TargetDescription{instanceTarget("10.244.0.1", 30080)}, code: "ValidationError", message: "Instance ID '10.244.0.1' is not valid"},
		"an ID of the wrong length is no instance ID": {
			targets: []types.TargetDescription{instanceTarget("i-0123456789abc", 30080)}, code: "ValidationError", message: "Instance ID 'i-0123456789abc' is not valid",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: tc.targets})
			h.wantCode(err, tc.code)
			if tc.message != "" && !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q does not say %q", err, tc.message)
			}
		})
	}
	// A refused call registers nothing, not even the instance that exists.
	if got := h.health(tg); len(got) != 1 {
		t.Errorf("targets after the calls = %v, want only the accepted one", got)
	}
}

// An instance target is probed and served at its instance's address, on the
// target's port: the node's NodePort.
func TestInstanceTargetsAreHealthCheckedAndServedAtTheirInstancesAddress(t *testing.T) {
	node := newBackend(t, "127.0.0.1")
	h := start(t, func(c *Config) {
		c.Instances = map[string]netip.Addr{instanceA: node.addr.Addr()}
	})
	tg := h.group(instanceGroup)
	lb := h.attach(tg)
	port := int32(node.addr.Port())
	h.register(tg, instanceTarget(instanceA, port))
	key := instanceA + ":" + strconv.Itoa(int(port))
	h.waitState(tg, key, types.TargetHealthStateEnumHealthy, 5*time.Second)

	resp, err := http.Get("http://" + lb + "/app")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != node.addr.String() || node.hits.Load() != 1 {
		t.Fatalf("GET through the listener = %d %q (node hits %d), want the node's answer", resp.StatusCode, body, node.hits.Load())
	}

	// The health checks are real: a node that answers 503 turns unhealthy.
	node.status.Store(http.StatusServiceUnavailable)
	th := h.waitState(tg, key, types.TargetHealthStateEnumUnhealthy, 5*time.Second)
	if th.Reason != types.TargetHealthReasonEnumResponseCodeMismatch {
		t.Errorf("reason = %s, want %s", th.Reason, types.TargetHealthReasonEnumResponseCodeMismatch)
	}
}

func TestSetInstanceMovesItsTargetsAndRemoveInstanceRefusesNewOnes(t *testing.T) {
	old, moved := newBackend(t, "127.0.0.1"), newBackend(t, "127.0.0.2")
	h := start(t, func(c *Config) { c.Instances = map[string]netip.Addr{instanceA: old.addr.Addr()} })
	tg := h.group(instanceGroup)
	h.attach(tg)
	// Both backends listen on ports of their own; the target's port is the
	// moved one's, which nothing on the old address answers.
	port := int32(moved.addr.Port())
	h.register(tg, instanceTarget(instanceA, port))
	key := instanceA + ":" + strconv.Itoa(int(port))
	h.waitState(tg, key, types.TargetHealthStateEnumUnhealthy, 5*time.Second)
	if err := h.emu.SetInstance(instanceA, moved.addr.Addr()); err != nil {
		t.Fatal(err)
	}
	h.waitState(tg, key, types.TargetHealthStateEnumHealthy, 5*time.Second)

	h.emu.RemoveInstance(instanceA)
	_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{instanceTarget(instanceA, 9999)}})
	h.wantCode(err, "InvalidTarget")
}

func TestControlAPISetsAndRemovesInstances(t *testing.T) {
	h := start(t)
	put := func(body string) (int, map[string]string) {
		req, _ := http.NewRequest(http.MethodPut, h.emu.URL()+"/_emulator/instances", bytes.NewBufferString(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out := map[string]string{}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, got := put(`{"` + instanceA + `":"127.0.10.1","` + instanceB + `":"127.0.10.2"}`); code != http.StatusOK || len(got) != 2 {
		t.Fatalf("PUT = %d %v, want both instances", code, got)
	}
	if code, got := put(`{"` + instanceB + `":""}`); code != http.StatusOK || len(got) != 1 || got[instanceA] != "127.0.10.1" {
		t.Fatalf("PUT removing one = %d %v, want the other left", code, got)
	}
	if code, _ := put(`{"node-1":"127.0.10.3"}`); code != http.StatusBadRequest {
		t.Fatalf("PUT of a name that is no instance ID = %d, want 400", code)
	}
	if got := h.emu.Instances(); len(got) != 1 {
		t.Fatalf("a refused PUT changed the instances: %v", got)
	}
}
