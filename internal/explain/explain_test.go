package explain

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func readyPod() Pod {
	return Pod{Name: "web-1", Ready: true, ContainersReady: true, HasIP: true, ReadySince: now.Add(-time.Minute)}
}

func boundTo(b Binding) Facts {
	return Facts{Pod: readyPod(), Services: []string{"web"}, Bindings: []Binding{b}}
}

func serving() Binding {
	return Binding{Name: "web", Service: "web", Selects: true, TargetGroup: "tg-web", Endpoint: EndpointReady,
		Target: "10.0.0.1:8080", State: "healthy"}
}

func with(change func(*Binding)) Binding {
	b := serving()
	change(&b)
	return b
}

func TestExplain(t *testing.T) {
	cases := map[string]struct {
		facts Facts
		// want are texts that must appear, each in a finding of the level.
		want map[Level][]string
	}{
		"a ready pod with a healthy target gets traffic": {
			facts: boundTo(serving()),
			want:  map[Level][]string{OK: {"pod web-1 is Ready", "binding web binds Service web to target group tg-web", "target 10.0.0.1:8080 is healthy"}},
		},
		"no Service selects the pod": {
			facts: Facts{Pod: readyPod()},
			want:  map[Level][]string{Problem: {"no Service selects pod web-1"}},
		},
		"no binding binds its Service": {
			facts: Facts{Pod: readyPod(), Services: []string{"web"}},
			want:  map[Level][]string{Problem: {"no TargetGroupBinding binds Service web"}},
		},
		"the binding is refused for a conflict": {
			facts: boundTo(with(func(b *Binding) { b.StopReason, b.StopMessage = "TargetGroupConflict", "binding other holds it" })),
			want:  map[Level][]string{Problem: {"binding web is not synced: TargetGroupConflict: binding other holds it"}},
		},
		"the binding's port is not in the Service": {
			facts: boundTo(with(func(b *Binding) { b.StopReason, b.StopMessage = "PortNotFound", "Service web has no port 81" })),
			want:  map[Level][]string{Problem: {"PortNotFound: Service web has no port 81"}},
		},
		"the endpoint is not ready": {
			facts: boundTo(with(func(b *Binding) { b.Endpoint, b.State = EndpointNotReady, "" })),
			want:  map[Level][]string{Problem: {"its endpoint is not ready"}},
		},
		"no slice lists the pod on the port": {
			facts: boundTo(with(func(b *Binding) { b.Endpoint, b.Target, b.State = EndpointMissing, "", "" })),
			want:  map[Level][]string{Problem: {"no EndpointSlice of Service web lists the pod"}},
		},
		"the gate waits on the initial health check": {
			facts: boundTo(with(func(b *Binding) {
				b.Endpoint, b.State, b.Reason = EndpointGated, "initial", "Elb.InitialHealthChecking"
				b.HasGate, b.GateReason, b.GateSince = true, "Elb.InitialHealthChecking", now.Add(-40*time.Second)
			})),
			want: map[Level][]string{Problem: {"readiness gate is waiting on Elb.InitialHealthChecking since 40s"}, Info: {"waits for tgc's readiness gate"}},
		},
		"the target is unhealthy with AWS's reason": {
			facts: boundTo(with(func(b *Binding) {
				b.State, b.Reason, b.Description = "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]"
			})),
			want: map[Level][]string{Problem: {"target 10.0.0.1:8080 is unhealthy in tg-web: Target.ResponseCodeMismatch (Health checks failed with these codes: [500])"}},
		},
		"a ready target not yet in the group is registered by the next sync": {
			facts: boundTo(with(func(b *Binding) { b.State, b.Action = "", ActionRegister })),
			want:  map[Level][]string{Problem: {"not registered in tg-web yet: a sync registers it now"}},
		},
		"the brake holds the removal of a target whose endpoint vanished": {
			facts: boundTo(with(func(b *Binding) { b.Endpoint, b.Action = EndpointMissing, ActionHeld })),
			want:  map[Level][]string{Problem: {"lists the pod on the bound port any more", "held by the brake"}},
		},
		"a held target of a listed endpoint says so": {
			facts: boundTo(with(func(b *Binding) { b.Endpoint, b.Action = EndpointNotReady, ActionHeld })),
			want:  map[Level][]string{Problem: {"held by the brake"}},
		},
		"a paused binding says what the pause costs": {
			facts: boundTo(with(func(b *Binding) { b.Paused = true })),
			want:  map[Level][]string{Problem: {"binding web is paused", "readiness gate stays as it is"}},
		},
		"a paused binding registers a new pod only once resumed": {
			facts: boundTo(with(func(b *Binding) { b.Paused, b.State, b.Action = true, "", ActionRegister })),
			want:  map[Level][]string{Problem: {"a sync registers it once the binding is resumed"}},
		},
		"a terminating pod is leaving": {
			facts: Facts{Pod: Pod{Name: "web-1", Terminating: true, HasIP: true}, Services: []string{"web"},
				Bindings: []Binding{with(func(b *Binding) { b.Endpoint, b.Action = EndpointTerminating, ActionDeregister })}},
			want: map[Level][]string{Problem: {"pod web-1 is terminating"}, Info: {"its endpoint is terminating", "a sync deregisters its target now"}},
		},
		"a gate of a binding whose Service does not select the pod never turns True": {
			facts: boundTo(with(func(b *Binding) { b.Selects, b.HasGate = false, true })),
			want:  map[Level][]string{Problem: {"can never turn True"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Explain(tc.facts, now)
			for level, texts := range tc.want {
				for _, text := range texts {
					if !has(got, level, text) {
						t.Errorf("no %s finding saying %q in:\n%s", level, text, dump(got))
					}
				}
			}
			if len(tc.want[Problem]) == 0 && Worst(got) == Problem {
				t.Errorf("a problem was found where none is:\n%s", dump(got))
			}
		})
	}
}

func has(fs []Finding, l Level, text string) bool {
	for _, f := range fs {
		if f.Level == l && strings.Contains(f.Text, text) {
			return true
		}
	}
	return false
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f.Level) + ": " + f.Text + "\n")
	}
	return b.String()
}
