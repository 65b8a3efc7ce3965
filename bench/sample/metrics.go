package sample

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Series names one sample of the Prometheus text format: a metric name and
// its labels as written, e.g. `workqueue_depth{name="targetgroupbinding"}`.
type Series string

// ParseMetrics reads the samples of the wanted series from the Prometheus
// text exposition format. A series matches when its name is the same and
// every label the wanted series gives has the same value (labels it does
// not give may be anything). Samples of other series are skipped.
func ParseMetrics(r io.Reader, want ...Series) (map[Series]float64, error) {
	type parsed struct {
		name   string
		labels map[string]string
	}
	wanted := make([]parsed, 0, len(want))
	for _, w := range want {
		name, labels, err := splitSeries(string(w))
		if err != nil {
			return nil, fmt.Errorf("wanted series %q: %w", w, err)
		}
		wanted = append(wanted, parsed{name, labels})
	}
	out := map[Series]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		cut := strings.LastIndexByte(line, '}')
		if cut < 0 {
			cut = strings.IndexByte(line, ' ')
		} else {
			cut++
		}
		if cut <= 0 || cut >= len(line) {
			continue
		}
		fields := strings.Fields(line[cut:])
		if len(fields) == 0 {
			continue
		}
		name, labels, err := splitSeries(line[:cut])
		if err != nil {
			continue
		}
		for i, w := range wanted {
			if w.name != name || !subset(w.labels, labels) {
				continue
			}
			v, err := strconv.ParseFloat(fields[0], 64)
			if err != nil {
				return nil, fmt.Errorf("value of %s: %w", line[:cut], err)
			}
			out[want[i]] = v
		}
	}
	return out, sc.Err()
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// splitSeries splits `name{a="x",b="y"}` into its name and labels. Label
// values with escaped quotes or commas are not needed here and rejected.
func splitSeries(s string) (string, map[string]string, error) {
	name, rest, hasLabels := strings.Cut(s, "{")
	labels := map[string]string{}
	if !hasLabels {
		return strings.TrimSpace(name), labels, nil
	}
	rest, ok := strings.CutSuffix(strings.TrimSpace(rest), "}")
	if !ok {
		return "", nil, fmt.Errorf("labels of %q do not end with }", s)
	}
	for pair := range strings.SplitSeq(rest, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return "", nil, fmt.Errorf("label %q has no value", pair)
		}
		uq, err := strconv.Unquote(strings.TrimSpace(v))
		if err != nil {
			return "", nil, fmt.Errorf("label %q: %w", pair, err)
		}
		labels[strings.TrimSpace(k)] = uq
	}
	return strings.TrimSpace(name), labels, nil
}

// Scrape fetches url (a /metrics endpoint) and reads the wanted series.
func Scrape(ctx context.Context, client *http.Client, url string, want ...Series) (map[Series]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: HTTP %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	m, err := ParseMetrics(bytes.NewReader(body), want...)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	return m, nil
}
