package kubectltgc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
)

// bindingSummary is one binding as kubectl tgc status lists it, from its
// status alone.
type bindingSummary struct {
	Namespace      string                 `json:"namespace"`
	Name           string                 `json:"name"`
	TargetGroupARN string                 `json:"targetGroupARN,omitempty"`
	Ready          metav1.ConditionStatus `json:"ready"`
	Reason         string                 `json:"reason,omitempty"`
	Message        string                 `json:"message,omitempty"`
	Paused         bool                   `json:"paused,omitempty"`
	// ForeignWriter is the message of a True ForeignWriter condition.
	ForeignWriter string                `json:"foreignWriter,omitempty"`
	Targets       v1alpha1.TargetCounts `json:"targets"`
	LastSyncTime  *metav1.Time          `json:"lastSyncTime,omitempty"`
}

func summarize(tgb *v1alpha1.TargetGroupBinding) bindingSummary {
	s := bindingSummary{Namespace: tgb.Namespace, Name: tgb.Name, TargetGroupARN: tgb.Status.TargetGroupARN,
		Ready: metav1.ConditionUnknown, Paused: tgb.Spec.Paused, Targets: tgb.Status.Targets, LastSyncTime: tgb.Status.LastSyncTime}
	if s.TargetGroupARN == "" {
		s.TargetGroupARN = tgb.Spec.TargetGroupARN
	}
	if c := meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		s.Ready, s.Reason, s.Message = c.Status, c.Reason, c.Message
	}
	if c := meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionForeignWriter); c != nil && c.Status == metav1.ConditionTrue {
		s.ForeignWriter = c.Message
	}
	return s
}

// summaryList is status's output for many bindings.
type summaryList struct {
	Items []bindingSummary `json:"items"`
}

func writeSummaries(w io.Writer, items []bindingSummary, allNamespaces bool, now time.Time, coloured bool) error {
	t := table{header: []string{"NAME", "TARGET GROUP", "READY", "REASON", "DESIRED", "REGISTERED", "HEALTHY", "LAST SYNC"}}
	if allNamespaces {
		t.header = append([]string{"NAMESPACE"}, t.header...)
	}
	for _, s := range items {
		row := []cell{plain(s.Name), plain(groupName(s.TargetGroupARN)), readyCell(s.Ready), plain(dash(s.Reason)),
			plain(fmt.Sprint(s.Targets.Desired)), plain(fmt.Sprint(s.Targets.Registered)), plain(fmt.Sprint(s.Targets.Healthy)), plain(ago(s.LastSyncTime, now))}
		if allNamespaces {
			row = append([]cell{plain(s.Namespace)}, row...)
		}
		t.add(row...)
	}
	return t.write(w, coloured)
}

// warnings are the notes below a status, on standard error as kubectl's
// warnings are: a pause and a foreign writer are loud.
func warnings(w io.Writer, items []bindingSummary) {
	for _, s := range items {
		if s.Paused {
			fmt.Fprintf(w, "Warning: binding %s/%s is paused: tgc makes no AWS writes for it. %s\n", s.Namespace, s.Name, binding.PauseCosts)
		}
		if s.ForeignWriter != "" {
			fmt.Fprintf(w, "Warning: binding %s/%s has another writer: %s\n", s.Namespace, s.Name, s.ForeignWriter)
		}
	}
}

func readyCell(st metav1.ConditionStatus) cell {
	switch st {
	case metav1.ConditionTrue:
		return cell{string(st), green}
	case metav1.ConditionFalse:
		return cell{string(st), red}
	}
	return plain(string(st))
}

// groupName is the target group's name from its ARN
// (...:targetgroup/<name>/<id>), which fits a table; -o shows the ARN.
func groupName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return dash(arn)
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// ago is a time as kubectl's ages are: 12s, 5m, 3h; "-" for never.
func ago(t *metav1.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}
