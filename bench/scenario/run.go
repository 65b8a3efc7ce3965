package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// Options configures a run of the driver.
type Options struct {
	// Root is the module root: the controller is built from it and the CRDs
	// read from its config/crd/bases.
	Root  string
	Scale Scale
	// Scenarios to run, by name; empty means all, in Order.
	Scenarios []string
	// ResultsDir receives <scenario>.json (quick/<scenario>.json at quick
	// scale) and the evidence files.
	ResultsDir string
	// Markdown is the BENCHMARKS.md whose table each result is upserted
	// into; empty leaves it alone.
	Markdown string
	Out      io.Writer
	Log      logr.Logger
	// CPUProfile, when set, is where the churn run saves a CPU profile of
	// the controller over its 3 changes/s window (the cpu figure's window).
	CPUProfile string
}

// Order is every scenario, in the order they run and appear in the table.
// cpu is measured by the churn run at 3 changes/s.
var Order = []string{"flip", "restart", "restart-with-change", "failover", "adopt", "rollout", "churn", "cpu", "memory", "scale"}

// scenarioFunc runs one scenario and returns its results (churn returns
// churn and cpu).
type scenarioFunc func(ctx context.Context, r *runner, want map[string]bool) ([]*report.Result, error)

func scenarios() map[string]scenarioFunc {
	return map[string]scenarioFunc{
		"flip":                runFlip,
		"restart":             runRestart,
		"restart-with-change": runRestartWithChange,
		"failover":            runFailover,
		"adopt":               runAdopt,
		"rollout":             runRollout,
		"churn":               runChurn,
		"memory":              runMemory,
		"scale":               runScale,
	}
}

// runner is what every scenario shares within one run.
type runner struct {
	opts    Options
	scale   Scale
	bin     string
	tmp     string
	commit  string
	machine report.Machine
	log     logr.Logger
	out     io.Writer
	// logs are the controller logs of this run, kept on failure.
	logs []string
}

// Run runs the selected scenarios, writes their results and prints a
// summary of each. It returns an error if any scenario failed; the others
// still run.
func Run(ctx context.Context, opts Options) error {
	want, err := selected(opts.Scenarios)
	if err != nil {
		return err
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	tmp, err := os.MkdirTemp("", "tgc-bench-")
	if err != nil {
		return fmt.Errorf("creating a scratch directory: %w", err)
	}
	r := &runner{opts: opts, scale: opts.Scale, tmp: tmp, machine: report.ThisMachine(), log: opts.Log, out: opts.Out}
	if r.commit, err = report.Commit(ctx, opts.Root); err != nil {
		r.commit = "unknown"
		fmt.Fprintf(r.out, "warning: %v\n", err)
	}
	fmt.Fprintf(r.out, "tgc-bench: scale %s, scenarios %s, commit %s, %d cores, load %s\n",
		r.scale.Name, strings.Join(keysInOrder(want), ","), r.commit, r.machine.Cores, r.machine.LoadAverage)
	began := time.Now()
	if r.bin, err = process.BuildController(ctx, opts.Root, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	fmt.Fprintf(r.out, "built the controller in %s\n", time.Since(began).Round(100*time.Millisecond))

	var failed []error
	funcs := scenarios()
	for _, name := range Order {
		run, ok := funcs[name]
		if !ok || !(want[name] || (name == "churn" && want["cpu"])) {
			continue
		}
		start := time.Now()
		fmt.Fprintf(r.out, "\n== %s (%s scale)\n", name, r.scale.Name)
		results, err := run(ctx, r, want)
		for _, res := range results {
			if werr := r.publish(res); werr != nil {
				failed = append(failed, werr)
			}
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("scenario %s: %w", name, err))
			fmt.Fprintf(r.out, "FAILED %s after %s: %v\n", name, time.Since(start).Round(time.Second), err)
			continue
		}
		fmt.Fprintf(r.out, "   %s took %s\n", name, time.Since(start).Round(time.Second))
	}
	fmt.Fprintf(r.out, "\ntgc-bench: done in %s\n", time.Since(began).Round(time.Second))
	if len(failed) > 0 {
		fmt.Fprintf(r.out, "controller logs kept in %s\n", tmp)
		return errors.Join(failed...)
	}
	os.RemoveAll(tmp)
	return nil
}

func selected(names []string) (map[string]bool, error) {
	want := map[string]bool{}
	if len(names) == 0 {
		for _, n := range Order {
			want[n] = true
		}
		return want, nil
	}
	for _, n := range names {
		if !slices.Contains(Order, n) {
			return nil, fmt.Errorf("unknown scenario %q; known: %s", n, strings.Join(Order, ", "))
		}
		want[n] = true
	}
	return want, nil
}

func keysInOrder(want map[string]bool) []string {
	var out []string
	for _, n := range Order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}

// newResult starts a scenario's result.
func (r *runner) newResult(name string) *report.Result {
	return &report.Result{
		Scenario: name,
		Scale:    r.scale.Name,
		Started:  time.Now().UTC(),
		Commit:   r.commit,
		Machine:  r.machine,
		Params:   map[string]any{},
		Figures:  map[string]any{},
	}
}

// env starts a scenario's world.
func (r *runner) env(ctx context.Context) (*env, error) {
	began := time.Now()
	e, err := newEnv(ctx, r.opts.Root, r.log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(r.out, "   control plane and emulator up in %s\n", time.Since(began).Round(100*time.Millisecond))
	return e, nil
}

// startController starts the controller for a scenario; its log stays in
// the scratch directory.
func (r *runner) startController(scenario string, e *env, extra ...string) (*controller, error) {
	path := filepath.Join(r.tmp, fmt.Sprintf("%s-controller-%d.log", scenario, len(r.logs)+1))
	r.logs = append(r.logs, path)
	pprof, url, err := r.pprofArgs()
	if err != nil {
		return nil, err
	}
	c, err := startController(r.bin, path, e, append(extra, pprof...)...)
	if err != nil {
		return nil, err
	}
	c.PprofURL = url
	return c, nil
}

// controllerFailed wraps err with the controller's log path, and says if
// the process died.
func controllerFailed(c *controller, err error) error {
	if c == nil {
		return err
	}
	state := "running"
	if c.Exited() {
		state = "exited: " + c.Cmd.ProcessState.String()
	}
	return fmt.Errorf("%w (controller %s; log: %s)", err, state, c.LogPath)
}

// publish writes a result's JSON, upserts its table row and prints its
// summary.
func (r *runner) publish(res *report.Result) error {
	res.Finished = time.Now().UTC()
	path, err := report.Write(r.opts.ResultsDir, res)
	if err != nil {
		return err
	}
	if r.opts.Markdown != "" {
		doc, err := os.ReadFile(r.opts.Markdown)
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("reading %s: %w", r.opts.Markdown, err)
		}
		updated := report.Upsert(string(doc), report.RowOf(res), Order)
		if err := os.WriteFile(r.opts.Markdown, []byte(updated), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", r.opts.Markdown, err)
		}
	}
	fmt.Fprintf(r.out, "   %s: %s\n", res.Scenario, res.Headline)
	for _, t := range res.Targets {
		verdict := "n/a"
		if t.Met != nil {
			verdict = map[bool]string{true: "met", false: "MISSED"}[*t.Met]
		}
		fmt.Fprintf(r.out, "     %-7s %s: %s (target %s)\n", verdict, t.Name, t.Measured, t.Goal)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(r.out, "     note: %s\n", n)
	}
	fmt.Fprintf(r.out, "   wrote %s\n", path)
	return nil
}

// evidencePath is where a scenario's raw evidence file goes, next to its
// JSON.
func (r *runner) evidencePath(file string) string {
	dir := r.opts.ResultsDir
	if r.scale.Name == "quick" {
		dir = filepath.Join(dir, "quick")
	}
	return filepath.Join(dir, file)
}

// callRecord is an emulator call with its start and end in seconds since
// the scenario's time zero, so that jq can compare times without parsing
// RFC 3339.
type callRecord struct {
	emulator.Call
	StartS float64 `json:"startS"`
	EndS   float64 `json:"endS"`
}

func callRecords(calls []emulator.Call, zero time.Time) []callRecord {
	out := make([]callRecord, len(calls))
	for i, c := range calls {
		out[i] = callRecord{Call: c, StartS: c.Time.Sub(zero).Seconds(), EndS: c.End().Sub(zero).Seconds()}
	}
	return out
}
