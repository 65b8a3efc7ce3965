// Package prometheus holds tgc's recording and alerting rules (rules.yaml)
// and their unit tests in Prometheus's format (rules_test.yaml). Its Go test
// runs those with promtool, so that `make test` proves each alert fires
// when it should and stays quiet when it should.
package prometheus

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestRulesPassPromtoolCheckAndUnitTests(t *testing.T) {
	if testing.Short() {
		t.Skip("needs promtool, built once per machine by hack/tool.sh (minutes when cold)")
	}
	promtool := pinnedTool(t, "promtool")
	run(t, promtool, "check", "rules", "rules.yaml")
	run(t, promtool, "test", "rules", "rules_test.yaml")
}

// pinnedTool returns the path of a tool pinned in hack/tools/go.mod,
// building it on first use; hack/tool.sh's lock makes parallel callers wait
// for one build.
func pinnedTool(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", "../hack/tool.sh", name)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // a cold build is long; show its progress
	if err := cmd.Run(); err != nil {
		t.Fatalf("building %s with hack/tool.sh: %v", name, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}
