package emulator

import (
	"sync"
	"time"
)

// Call is one API call as the emulator served it.
type Call struct {
	Action         string        `json:"action"`
	TargetGroupARN string        `json:"targetGroupArn,omitempty"`
	Targets        int           `json:"targets"`
	Result         string        `json:"result"` // error code, or "OK"
	Time           time.Time     `json:"time"`
	Duration       time.Duration `json:"duration"`
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
