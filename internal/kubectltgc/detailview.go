package kubectltgc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// writeDetail prints one binding: a few lines about it, then its targets.
func writeDetail(w io.Writer, d bindingDetail, now time.Time, coloured bool) error {
	var b strings.Builder
	field := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-14s%s\n", name+":", fmt.Sprintf(format, args...))
	}
	field("Binding", "%s/%s", d.Namespace, d.Name)
	field("Target group", "%s", dash(d.TargetGroupARN))
	ready := readyCell(d.Ready)
	if coloured && ready.c != none {
		ready.text = string(ready.c) + ready.text + reset
	}
	field("Ready", "%s %s: %s", ready.text, dash(d.Reason), d.Message)
	c := d.Targets
	field("Targets", "%d desired, %d registered: %d healthy, %d initial, %d unhealthy, %d draining, %d unavailable; %d skipped",
		c.Desired, c.Registered, c.Healthy, c.Initial, c.Unhealthy, c.Draining, c.Unavailable, c.Skipped)
	if d.LastSyncTime == nil {
		field("Last sync", "never")
	} else {
		field("Last sync", "%s ago", ago(d.LastSyncTime, now))
	}
	switch {
	case d.StopReason != "":
		field("Plan", "none: a sync would stop with %s: %s", d.StopReason, d.StopMessage)
	case d.Plan == planCounts{}:
		field("Plan", "no changes: the target group is what the binding wants")
	default:
		field("Plan", "register %d, deregister %d, held %d, kept %d (kubectl tgc diff %s -n %s)",
			d.Plan.Register, d.Plan.Deregister, d.Plan.Held, d.Plan.Withheld, d.Name, d.Namespace)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(d.Rows) == 0 {
		_, err := fmt.Fprintln(w, "\nNo targets.")
		return err
	}
	t := table{header: []string{"TARGET", "POD", "NODE", "STATE", "REASON", "GATE", "SINCE", "NOTE"}}
	for _, r := range d.Rows {
		gate := plain(dash(r.Gate))
		switch r.Gate {
		case "True":
			gate.c = green
		case "False":
			gate.c, gate.text = yellow, "False ("+r.GateReason+")"
		}
		t.add(plain(r.Target), plain(dash(r.Pod)), plain(dash(r.Node)), stateCell(r.State), plain(dash(r.Reason)), gate,
			plain(ago(r.Since, now)), plain(r.Note))
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	return t.write(w, coloured)
}

func stateCell(s string) cell {
	switch targets.State(s) {
	case targets.StateHealthy:
		return cell{s, green}
	case targets.StateUnhealthy, targets.StateUnavailable:
		return cell{s, red}
	case "":
		return cell{"not registered", yellow}
	}
	return cell{s, yellow}
}
