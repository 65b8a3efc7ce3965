package kubectltgc

import (
	"io"
	"strings"
	"unicode/utf8"
)

// colour is an ANSI SGR colour; none prints the text as it is.
type colour string

const (
	none   colour = ""
	green  colour = "\x1b[32m"
	red    colour = "\x1b[31m"
	yellow colour = "\x1b[33m"
	reset         = "\x1b[0m"
)

type cell struct {
	text string
	c    colour
}

func plain(s string) cell { return cell{text: s} }

// table prints rows aligned as kubectl does: upper-case headers, columns
// three spaces apart. It pads by the visible text, so that colours (only
// on a terminal) do not shift the columns, which text/tabwriter would.
type table struct {
	header []string
	rows   [][]cell
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, coloured bool) error {
	width := make([]int, len(t.header))
	for i, h := range t.header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	line := func(cells []cell) {
		// An empty last cell leaves no padding behind.
		for len(cells) > 1 && cells[len(cells)-1].text == "" {
			cells = cells[:len(cells)-1]
		}
		for i, c := range cells {
			text := c.text
			if coloured && c.c != none {
				text = string(c.c) + text + reset
			}
			b.WriteString(text)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c.text)+3))
			}
		}
		b.WriteString("\n")
	}
	hs := make([]cell, len(t.header))
	for i, h := range t.header {
		hs[i] = plain(h)
	}
	line(hs)
	for _, r := range t.rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dash stands in for an empty cell, as kubectl's <none> does, but shorter.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
