package targets

import (
	"reflect"
	"slices"
	"testing"
)

func TestAppliedKeepsTheCachedGroupCurrent(t *testing.T) {
	cases := map[string]struct {
		actual []Health
		op     Op
		ts     []Target
		want   []Health
	}{
		"registered targets start in initial": {
			actual: healthy("10.244.0.1:80"),
			op:     OpRegister, ts: tgts("10.244.0.2:80"),
			want: []Health{health("10.244.0.1:80", StateHealthy, ""), health("10.244.0.2:80", StateInitial, ReasonRegistrationInProgress)},
		},
		"re-registered draining target leaves draining": {
			actual: []Health{health("10.244.0.1:80", StateDraining, ReasonDeregistrationInProgress)},
			op:     OpRegister, ts: tgts("10.244.0.1:80"),
			want: []Health{health("10.244.0.1:80", StateInitial, ReasonRegistrationInProgress)},
		},
		"deregistered targets drain": {
			actual: healthy("10.244.0.1:80", "10.244.0.2:80"),
			op:     OpDeregister, ts: tgts("10.244.0.1:80"),
			want: []Health{health("10.244.0.1:80", StateDraining, ReasonDeregistrationInProgress), health("10.244.0.2:80", StateHealthy, "")},
		},
		"deregistering an unregistered target leaves no trace": {
			actual: []Health{health("10.244.0.1:80", StateUnused, ReasonNotRegistered)},
			op:     OpDeregister, ts: tgts("10.244.0.1:80"),
			want: []Health{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := slices.Clone(tc.actual)
			got := Applied(tc.actual, tc.op, tc.ts)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Applied() = %+v, want %+v", got, tc.want)
			}
			if !reflect.DeepEqual(tc.actual, before) {
				t.Errorf("Applied modified its input: %v", tc.actual)
			}
		})
	}
}
