package sample

import (
	"sync"
	"time"
)

// Point is one timed reading.
type Point struct {
	At time.Time
	Proc
}

// Sampler reads a process every interval until Stop.
type Sampler struct {
	pid      int
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}

	mu     sync.Mutex
	points []Point
	err    error
}

// Start samples pid every interval in a goroutine; the first reading is
// taken at once.
func Start(pid int, interval time.Duration) *Sampler {
	s := &Sampler{pid: pid, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *Sampler) run() {
	defer close(s.done)
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		p, err := ReadProc(s.pid)
		s.mu.Lock()
		if err != nil {
			// The process ended: keep what was read.
			s.err = err
			s.mu.Unlock()
			return
		}
		s.points = append(s.points, Point{At: time.Now(), Proc: p})
		s.mu.Unlock()
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

// Stop ends sampling and returns every point, and the error that ended it
// early, if any.
func (s *Sampler) Stop() ([]Point, error) {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	return s.Points(), s.err
}

// Points returns the points so far.
func (s *Sampler) Points() []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Point(nil), s.points...)
}

// Window summarises the points taken in [from, until).
type Window struct {
	Samples     int     `json:"samples"`
	MeanRSS     int64   `json:"meanRssBytes"`
	MaxRSS      int64   `json:"maxRssBytes"`
	HWMAtEnd    int64   `json:"hwmAtEndBytes"`
	CPUTicks    int64   `json:"cpuTicks"` // delta between the first and last point
	DurationSec float64 `json:"durationSec"`
}

// Summarize reads the points taken in [from, until).
func Summarize(points []Point, from, until time.Time) Window {
	var w Window
	var sum int64
	var first, last *Point
	for i := range points {
		p := &points[i]
		if p.At.Before(from) || !p.At.Before(until) {
			continue
		}
		if first == nil {
			first = p
		}
		last = p
		w.Samples++
		sum += p.RSSBytes
		w.MaxRSS = max(w.MaxRSS, p.RSSBytes)
	}
	if w.Samples == 0 {
		return w
	}
	w.MeanRSS = sum / int64(w.Samples)
	w.HWMAtEnd = last.HWMBytes
	w.CPUTicks = last.CPUTicks - first.CPUTicks
	w.DurationSec = last.At.Sub(first.At).Seconds()
	return w
}
