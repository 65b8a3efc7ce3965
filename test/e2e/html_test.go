package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
	"github.com/tgc-dev/targetgroupcontroller/test/rollout"
)

// harnessAccessKey signs the suite's own AWS calls, so a rollout report
// can leave them out of the controller's.
const harnessAccessKey = "AKIDE2ETEST"

// htmlReport, when TGC_E2E_HTML names a directory, records the run from
// now on and writes its rollout report there as <test name>.html: on the
// normal path with the run's final tally (finish), and from a cleanup with
// the tally so far when the scenario stopped early, so a failing scenario
// can be looked at. Without the variable it records nothing.
func (r *run) htmlReport(gen *loadgen.Generator) (finish func(loadgen.Result)) {
	dir := os.Getenv("TGC_E2E_HTML")
	if dir == "" {
		return func(loadgen.Result) {}
	}
	if !filepath.IsAbs(dir) {
		// go test runs in the package directory; a relative path names a
		// directory from the repository root, as TGC_E2E_REPORT does.
		dir = filepath.Join(r.s.root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.t.Errorf("TGC_E2E_HTML: %v", err)
		return func(loadgen.Result) {}
	}
	rec := rollout.Start(r.ctx, rollout.Config{
		Title:    "e2e " + r.t.Name(),
		Emulator: r.s.emu, Kube: r.s.cluster.Client, Namespace: r.ns,
		TargetGroupARN: r.lb.TargetGroupARN, ListenerARN: r.lb.ListenerARN,
		HarnessAccessKey: harnessAccessKey, Rate: requestRate,
	})
	// The timeline's notes ("scenario starts", "controller stopped")
	// number the page's moments too.
	r.timeline.mu.Lock()
	r.timeline.noted = rec.Note
	r.timeline.mu.Unlock()
	path := filepath.Join(dir, strings.ReplaceAll(r.t.Name(), "/", "_")+".html")
	var once sync.Once
	write := func(load loadgen.Result) {
		once.Do(func() {
			rep := rec.Finish(load)
			if err := rollout.Verify(rep.HTML(), rep.Figures); err != nil {
				r.t.Errorf("the rollout report does not hold up: %v", err)
			}
			if err := rep.WriteFile(path); err != nil {
				r.t.Error(err)
				return
			}
			r.t.Logf("rollout report: %s: %s", path, rep.Summary())
		})
	}
	r.t.Cleanup(func() { write(gen.Snapshot()) })
	return write
}
