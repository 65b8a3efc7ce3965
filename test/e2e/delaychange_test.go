package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

// The delay-raised scenario: a team whose requests take up to longRequest
// raises the group's deregistration delay so that a drain lets them finish,
// and rolls out again. The hand-written recipe was sized for the old delay;
// the automatic setup sizes the next pods from the new one.
const (
	raisedDelaySeconds = 6
	longRequest        = 4 * time.Second
	// longRequestRate is how many of the long requests start per second,
	// on top of the scenario's load, during the third rollout.
	longRequestRate = 10
	// raisedDriftInterval is how often tgc reads the group's attributes
	// in this scenario (5 m by default, scaled like the other timings), so
	// that the raised delay reaches the binding's status within it.
	raisedDriftInterval = 2 * time.Second
)

func delayRaisedScenario() scenario {
	return scenario{
		name: "delay-raised", short: "delay",
		title: fmt.Sprintf("Deregistration delay raised from %d s to %d s between two rolling updates, then a third with %s requests in the load",
			deregistrationDelaySeconds, raisedDelaySeconds, longRequest),
		replicas: 4, full: true, automaticOnly: true,
		controllerArgs: []string{"--drift-check-interval=" + raisedDriftInterval.String()},
		// The listener waits for a long request's answer instead of
		// answering 504 after the scaled 2 s.
		profile: func(p emulator.Profile) emulator.Profile {
			p.TargetResponseTimeout = longRequest + targetResponseTimeout
			return p
		},
		action: (*run).raiseDelayBetweenRollouts,
	}
}

// raiseDelayBetweenRollouts rolls out, raises the delay, rolls out again
// once the binding has recorded it, then rolls out a third time with long
// requests in the load; the pods the third rollout terminates are those of
// the second.
func (r *run) raiseDelayBetweenRollouts() error {
	if err := r.rollOut("registry.example/web:2"); err != nil {
		return err
	}
	if err := setDelay(r.ctx, r.s.elb, r.lb.TargetGroupARN, raisedDelaySeconds); err != nil {
		return err
	}
	r.timeline.note("deregistration delay raised to %ds", raisedDelaySeconds)
	if err := r.waitRecordedDelay(raisedDelaySeconds); err != nil {
		return err
	}
	if err := r.rollOut("registry.example/web:3"); err != nil {
		return err
	}
	if r.su.automatic {
		if err := r.checkDrainDelay(raisedDelaySeconds); err != nil {
			return err
		}
	}
	// The long requests run through the third rollout and until it has
	// settled; each is judged on its own timeout, so none is left out.
	u := strings.TrimSuffix(r.lb.URL, "/") + "/?delay=" + longRequest.String()
	long := loadgen.New(loadgen.Config{URL: u, Rate: longRequestRate, Timeout: longRequest + requestTimeout})
	ctx, stop := context.WithCancel(r.ctx)
	done := make(chan loadgen.Result, 1)
	go func() { done <- long.Run(ctx) }()
	r.sleep(longRequest) // some are in flight on every old pod
	err := r.rollOut("registry.example/web:4")
	r.sleep(time.Second)
	stop()
	res := <-done
	r.mu.Lock()
	r.extraLoad = append(r.extraLoad, res)
	r.mu.Unlock()
	r.timeline.note("long requests: %s", res)
	return err
}

// rollOut updates the template and waits until only pods of the new image
// run, none terminating, and the target group holds them all, healthy.
func (r *run) rollOut(image string) error {
	if err := r.updateTemplate(image, nil); err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		var pods corev1.PodList
		if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels(app(r.ns, 0).Labels())); err != nil {
			return fmt.Errorf("listing pods in %s: %w", r.ns, err)
		}
		done := int32(len(pods.Items)) == r.replicas()
		for _, p := range pods.Items {
			done = done && p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the rollout to %s did not finish within 90s", image)
		}
		r.sleep(100 * time.Millisecond)
	}
	if _, err := waitSettled(r.ctx, r.s.kube, r.s.elb, r.ns, r.lb.TargetGroupARN, r.targets, r.replicas(), 60*time.Second); err != nil {
		return fmt.Errorf("after the rollout to %s: %w", image, err)
	}
	r.timeline.note("rolled out %s", image)
	return nil
}

func (r *run) replicas() int32 { return r.sc.finalReplicas() }

// waitRecordedDelay waits until the binding's status holds the delay.
func (r *run) waitRecordedDelay(secs int32) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var b v1alpha1.TargetGroupBinding
		if err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: bindingName}, &b); err == nil &&
			b.Status.DeregistrationDelaySeconds != nil && *b.Status.DeregistrationDelaySeconds == secs {
			r.timeline.note("binding recorded the %ds delay", secs)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the binding did not record a deregistration delay of %ds within 30s", secs)
		}
		r.sleep(100 * time.Millisecond)
	}
}

// checkDrainDelay checks that every live pod was sized from the delay: the
// pods the next rollout terminates carry the new figures.
func (r *run) checkDrainDelay(secs int32) error {
	var pods corev1.PodList
	if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels(app(r.ns, 0).Labels())); err != nil {
		return fmt.Errorf("listing pods in %s: %w", r.ns, err)
	}
	for _, p := range pods.Items {
		var rec v1alpha1.DrainRecord
		if err := json.Unmarshal([]byte(p.Annotations[v1alpha1.AnnotationDrain]), &rec); err != nil {
			return fmt.Errorf("pod %s: drain annotation %q: %v", p.Name, p.Annotations[v1alpha1.AnnotationDrain], err)
		}
		if rec.DeregistrationDelaySeconds != secs {
			return fmt.Errorf("pod %s was sized from a %ds delay, want %ds: %+v", p.Name, rec.DeregistrationDelaySeconds, secs, rec)
		}
	}
	return nil
}

// setDelay sets the group's deregistration delay, as a user would.
func setDelay(ctx context.Context, c *elb.Client, arn string, secs int) error {
	if _, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(secs))}},
	}); err != nil {
		return fmt.Errorf("setting the deregistration delay of %s to %ds: %w", arn, secs, err)
	}
	return nil
}
