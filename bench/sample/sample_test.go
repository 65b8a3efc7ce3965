package sample

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatusReadsRSSAndPeakInBytes(t *testing.T) {
	cases := map[string]struct {
		status  string
		want    Proc
		wantErr bool
	}{
		"a live process": {
			status: "Name:\ttgc\nVmPeak:\t  900 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\nThreads:\t9\n",
			want:   Proc{RSSBytes: 1024 * 1024, HWMBytes: 2048 * 1024},
		},
		"a zombie has no memory lines":    {status: "Name:\ttgc\nState:\tZ (zombie)\n", wantErr: true},
		"a unit other than kB is refused": {status: "VmHWM:\t1 MB\nVmRSS:\t1 kB\n", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseStatus([]byte(tc.status))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseStatus = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseStatCPUCountsFieldsAfterTheCommandName(t *testing.T) {
	cases := map[string]struct {
		stat    string
		want    int64
		wantErr bool
	}{
		"plain command": {stat: "42 (tgc) S 1 42 42 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 9 0", want: 287},
		"command with spaces and parentheses": {
			stat: "42 (a (b) c) R 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 9 0", want: 10,
		},
		"truncated line": {stat: "42 (tgc) S 1 2", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseStatCPU([]byte(tc.stat))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseStatCPU = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestReadProcReadsThisProcess(t *testing.T) {
	p, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.RSSBytes <= 0 || p.HWMBytes < p.RSSBytes {
		t.Errorf("ReadProc(self) = %+v, want RSS > 0 and HWM >= RSS", p)
	}
}

const exposition = `# HELP workqueue_depth Current depth of workqueue
# TYPE workqueue_depth gauge
workqueue_depth{controller="targetgroupbinding",name="targetgroupbinding"} 7
workqueue_depth{controller="readinessgate",name="readinessgate"} 3
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 1.2345e+07
process_start_time_seconds 1.7e+09
`

func TestParseMetricsMatchesNameAndGivenLabels(t *testing.T) {
	cases := map[string]struct {
		want  Series
		value float64
		found bool
	}{
		"a label picks one series":      {`workqueue_depth{name="targetgroupbinding"}`, 7, true},
		"the other series by its label": {`workqueue_depth{name="readinessgate"}`, 3, true},
		"a series without labels":       {`go_memstats_heap_inuse_bytes`, 12345000, true},
		"a label value nobody has":      {`workqueue_depth{name="nope"}`, 0, false},
		"a name that is only a prefix":  {`go_memstats_heap`, 0, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseMetrics(strings.NewReader(exposition), tc.want)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := got[tc.want]
			if ok != tc.found || v != tc.value {
				t.Errorf("ParseMetrics[%s] = %v, %v; want %v, %v", tc.want, v, ok, tc.value, tc.found)
			}
		})
	}
}

func TestSummarizeReadsOnlyTheWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	pt := func(s int, rss, hwm, cpu int64) Point {
		return Point{At: t0.Add(time.Duration(s) * time.Second), Proc: Proc{RSSBytes: rss, HWMBytes: hwm, CPUTicks: cpu}}
	}
	points := []Point{pt(0, 500, 500, 0), pt(1, 100, 500, 10), pt(2, 300, 500, 30), pt(3, 900, 900, 80)}
	got := Summarize(points, t0.Add(time.Second), t0.Add(3*time.Second))
	want := Window{Samples: 2, MeanRSS: 200, MaxRSS: 300, HWMAtEnd: 500, CPUTicks: 20, DurationSec: 1}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if empty := Summarize(points, t0.Add(time.Hour), t0.Add(2*time.Hour)); empty.Samples != 0 {
		t.Errorf("a window without points = %+v, want no samples", empty)
	}
}
