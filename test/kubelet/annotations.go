package kubelet

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Annotations that tune how the app of one pod behaves. See the package doc.
const (
	AnnotationPrefix        = "kubelet.tgc.dev/"
	AnnotationStartDelay    = AnnotationPrefix + "start-delay"
	AnnotationFailHealth    = AnnotationPrefix + "fail-health"
	AnnotationResponseDelay = AnnotationPrefix + "response-delay"
	AnnotationShutdownDelay = AnnotationPrefix + "shutdown-delay"
)

// Behaviour is how a pod's app behaves, parsed from its annotations.
type Behaviour struct {
	StartDelay    time.Duration
	FailHealth    bool
	ResponseDelay time.Duration
	ShutdownDelay time.Duration
}

// ParseBehaviour reads the kubelet.tgc.dev/ annotations. Invalid values are
// reported and the field keeps its zero value, so a typo in a test shows up in
// the error rather than as a silently healthy pod.
func ParseBehaviour(annotations map[string]string) (Behaviour, error) {
	var b Behaviour
	var errs []error
	durations := []struct {
		key string
		dst *time.Duration
	}{
		{AnnotationStartDelay, &b.StartDelay},
		{AnnotationResponseDelay, &b.ResponseDelay},
		{AnnotationShutdownDelay, &b.ShutdownDelay},
	}
	for _, d := range durations {
		v, ok := annotations[d.key]
		if !ok {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < 0 {
			errs = append(errs, fmt.Errorf("annotation %s=%q is not a non-negative duration", d.key, v))
			continue
		}
		*d.dst = parsed
	}
	if v, ok := annotations[AnnotationFailHealth]; ok {
		parsed, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("annotation %s=%q is not a boolean", AnnotationFailHealth, v))
		}
		b.FailHealth = parsed
	}
	if len(errs) > 0 {
		return b, fmt.Errorf("parsing pod behaviour: %w", errors.Join(errs...))
	}
	return b, nil
}
