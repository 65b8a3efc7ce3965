package rollout

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Verify checks a report page as its reader relies on it: it parses as
// HTML, each SVG in it is well-formed XML, nothing in it is fetched from
// elsewhere, and what it draws and prints agrees with f, the run's own
// accounting (call ticks, failure marks, the requests the bars add up to,
// the summary's cells). The demo and the e2e suite run it on every page
// they write; the unit tests run it on a recorded run.
func Verify(page []byte, f Figures) error {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return fmt.Errorf("the page does not parse as HTML: %w", err)
	}
	var errs []error
	errs = append(errs, selfContained(doc, page)...)
	drawn, err := drawing(page)
	if err != nil {
		return err
	}
	if n := len(drawn["call"]); n != f.Calls {
		errs = append(errs, fmt.Errorf("the page draws %d call ticks, the run counted %d calls", n, f.Calls))
	}
	if n := len(drawn["failure"]); n != f.Failed {
		errs = append(errs, fmt.Errorf("the page marks %d failed requests, the load generator saw %d", n, f.Failed))
	}
	served, failed := sumN(drawn["served"]), sumN(drawn["failed"])
	if served+failed != f.ListenerSent || failed != f.ListenerFailed {
		errs = append(errs, fmt.Errorf("the traffic bars add up to %d requests, %d failed; the listener counted %d, %d failed", served+failed, failed, f.ListenerSent, f.ListenerFailed))
	}
	cells := dataFigures(doc)
	for name, want := range map[string]string{
		"sent": strconv.Itoa(f.Sent), "failed": strconv.Itoa(f.Failed), "rate": strconv.Itoa(f.Rate) + "/s",
		"listener-sent": strconv.FormatUint(f.ListenerSent, 10), "listener-failed": strconv.FormatUint(f.ListenerFailed, 10),
		"calls": strconv.Itoa(f.Calls), "writes": strconv.Itoa(f.Writes),
	} {
		if cells[name] != want {
			errs = append(errs, fmt.Errorf("the page's %s figure reads %q, the run counted %s", name, cells[name], want))
		}
	}
	return errors.Join(errs...)
}

// selfContained finds anything the page would fetch: scripts, stylesheets,
// images, frames, or an http(s) reference in an attribute or in CSS. The
// SVG namespace name is an identifier, never fetched.
func selfContained(doc *html.Node, page []byte) []error {
	var errs []error
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed", "image", "use", "base":
				errs = append(errs, fmt.Errorf("the page has a <%s> element", n.Data))
			}
			for _, a := range n.Attr {
				if a.Key == "xmlns" {
					continue
				}
				v := strings.ToLower(a.Val)
				if strings.Contains(v, "http:") || strings.Contains(v, "https:") || (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(v, "#") {
					errs = append(errs, fmt.Errorf("<%s %s=%q> refers outside the page", n.Data, a.Key, a.Val))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	rest := strings.ReplaceAll(string(page), `xmlns="http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"http://", "https://", "@import", "@font-face"} {
		if strings.Contains(rest, bad) {
			errs = append(errs, fmt.Errorf("the page contains %q", bad))
		}
	}
	return errs
}

// drawing decodes each <svg>…</svg> of the page, as written, as strict XML
// and returns its elements by their first class.
func drawing(page []byte) (map[string][]xml.StartElement, error) {
	out := map[string][]xml.StartElement{}
	rest := string(page)
	for n := 0; ; n++ {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			if n == 0 {
				return nil, errors.New("the page holds no SVG")
			}
			return out, nil
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			return nil, fmt.Errorf("SVG %d of the page is not closed", n+1)
		}
		src := rest[i : i+j+len("</svg>")]
		rest = rest[i+j:]
		dec := xml.NewDecoder(strings.NewReader(src))
		dec.Strict = true
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("SVG %d of the page is not well-formed XML: %w", n+1, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if c := strings.Fields(classOf(se)); len(c) > 0 {
					out[c[0]] = append(out[c[0]], se.Copy())
				}
			}
		}
	}
}

func classOf(e xml.StartElement) string { return attr(e, "class") }

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sumN adds the data-n counts of the bars; a bar without one counts 0.
func sumN(es []xml.StartElement) uint64 {
	var sum uint64
	for _, e := range es {
		n, _ := strconv.ParseUint(attr(e, "data-n"), 10, 64)
		sum += n
	}
	return sum
}

// dataFigures reads the summary's cells by their data-figure name.
func dataFigures(doc *html.Node) map[string]string {
	out := map[string]string{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "data-figure" && n.FirstChild != nil {
					out[a.Val] = n.FirstChild.Data
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}
