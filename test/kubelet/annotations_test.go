package kubelet

import (
	"testing"
	"time"
)

func TestParseBehaviour(t *testing.T) {
	tests := map[string]struct {
		annotations map[string]string
		want        Behaviour
		wantErr     bool
	}{
		"no annotations is a healthy, instant app": {nil, Behaviour{}, false},
		"every knob set": {map[string]string{
			AnnotationStartDelay: "2s", AnnotationFailHealth: "true",
			AnnotationResponseDelay: "50ms", AnnotationShutdownDelay: "3s",
		}, Behaviour{StartDelay: 2 * time.Second, FailHealth: true, ResponseDelay: 50 * time.Millisecond, ShutdownDelay: 3 * time.Second}, false},
		"fail-health false":                   {map[string]string{AnnotationFailHealth: "false"}, Behaviour{}, false},
		"unrelated annotations are ignored":   {map[string]string{"example.com/x": "y"}, Behaviour{}, false},
		"bad duration is reported":            {map[string]string{AnnotationStartDelay: "soon"}, Behaviour{}, true},
		"negative duration is reported":       {map[string]string{AnnotationResponseDelay: "-1s"}, Behaviour{}, true},
		"bad boolean is reported":             {map[string]string{AnnotationFailHealth: "yes please"}, Behaviour{}, true},
		"good values survive a bad neighbour": {map[string]string{AnnotationStartDelay: "1s", AnnotationShutdownDelay: "x"}, Behaviour{StartDelay: time.Second}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseBehaviour(tc.annotations)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseBehaviour = %+v, want %+v", got, tc.want)
			}
		})
	}
}
