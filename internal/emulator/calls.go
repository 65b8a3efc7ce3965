package emulator

import (
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Call is one API call as the emulator served it.
type Call struct {
	Action         string `json:"action"`
	TargetGroupARN string `json:"targetGroupArn,omitempty"`
	// Targets is how many targets the call named (RegisterTargets,
	// DeregisterTargets, DescribeTargetHealth with a target list).
	Targets int `json:"targets"`
	// TargetIDs are those targets as "id:port", in request order; a target
	// given without a port carries the group's port, and an IP is written
	// in its canonical form, because AWS identifies a target by address and
	// port, not by spelling. Empty when the call named no targets.
	TargetIDs []string `json:"targetIds,omitempty"`
	Result    string   `json:"result"` // error code, or "OK"
	// AccessKeyID is the key the request was signed with, so a test can
	// tell the controller's calls from its own harness's on one emulator.
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// Account is the account the caller's credentials belong to.
	Account string `json:"account,omitempty"`
	// Role is the RoleArn of an AssumeRole call.
	Role string `json:"role,omitempty"`
	// Time is when the emulator began serving the request, before reading
	// its body; Duration runs from there until the answer was written, so
	// End (Time + Duration) is when the caller could see the result.
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration"`
}

// End is when the call completed: the answer had been written.
func (c Call) End() time.Time { return c.Time.Add(c.Duration) }

// carriesTargets reports whether action names targets in Targets.member.N.
func carriesTargets(action string) bool {
	return action == "RegisterTargets" || action == "DeregisterTargets" || action == "DescribeTargetHealth"
}

// callTargetIDs reads the targets a call names as "id:port", filling a
// missing port from the group (when it exists), so that the log matches
// the targets the handler acts on.
func (e *Emulator) callTargetIDs(p query.Params, arn string) []string {
	members := p.Structs("Targets")
	if len(members) == 0 {
		return nil
	}
	groupPort := ""
	out := make([]string, 0, len(members))
	for _, m := range members {
		id, port := m.String("Id"), m.String("Port")
		if addr, err := netip.ParseAddr(id); err == nil {
			id = addr.String()
		}
		if n, err := strconv.Atoi(port); err == nil {
			port = strconv.Itoa(n)
		}
		if port == "" {
			if groupPort == "" {
				groupPort = e.groupPort(arn)
			}
			port = groupPort
		}
		out = append(out, id+":"+port)
	}
	return out
}

// groupPort is the port of the group arn as a string, or "" when there is
// no such group (the call then fails and the port does not matter).
func (e *Emulator) groupPort(arn string) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	g, ok := e.groups[arn]
	if !ok {
		return ""
	}
	return strconv.Itoa(int(g.port))
}

// callLog is a bounded ring of calls, so a long benchmark cannot grow it
// without limit.
type callLog struct {
	mu    sync.Mutex
	buf   []Call
	next  int
	full  bool
	limit int
}

func newCallLog(limit int) *callLog { return &callLog{limit: limit} }

func (c *callLog) add(call Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) < c.limit {
		c.buf = append(c.buf, call)
		return
	}
	c.buf[c.next] = call
	c.next = (c.next + 1) % c.limit
	c.full = true
}

func (c *callLog) snapshot() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Call, 0, len(c.buf))
	if c.full {
		out = append(out, c.buf[c.next:]...)
		out = append(out, c.buf[:c.next]...)
		return out
	}
	return append(out, c.buf...)
}

func (c *callLog) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf, c.next, c.full = nil, 0, false
}
