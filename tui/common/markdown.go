package common

import (
	"regexp"
	"strings"

	"charm.land/glamour/v2"
	"charm.land/glamour/v2/styles"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Markdown renders md with glamour in the named style, wrapped at width
// cells with margin cells on the left (glamour's own margin when margin
// is negative), as every screen shows markdown: lessons, tasks, hints.
//
// Glamour's output is adjusted in three ways. Inline code loses the space
// glamour pads it with, which lands at the start of a line whenever the
// code is wrapped there. A list item's wrapped lines are indented under
// its text, not under its bullet. Lines lose the padding glamour fills
// them with to the wrap width.
func Markdown(md string, width int, style string, margin int) (string, error) {
	opt := glamour.WithStandardStyle(style)
	if base, ok := styles.DefaultStyles[style]; ok {
		cfg := *base
		cfg.Code.Prefix, cfg.Code.Suffix = "", ""
		if margin >= 0 {
			m := uint(margin)
			cfg.Document.Margin = &m
		}
		opt = glamour.WithStyles(cfg)
	}
	r, err := glamour.NewTermRenderer(opt, glamour.WithWordWrap(width))
	if err != nil {
		return "", err
	}
	out, err := r.Render(md)
	if err != nil {
		return "", err
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = TrimRight(l)
	}
	return strings.Trim(strings.Join(hang(lines, width), "\n"), "\n"), nil
}

// TrimRight drops the spaces at the end of a styled line, keeping its
// styles.
func TrimRight(l string) string {
	plain := ansi.Strip(l)
	trimmed := strings.TrimRight(plain, " \u00a0")
	switch {
	case trimmed == "":
		return ""
	case len(trimmed) == len(plain):
		return l
	}
	return ansi.Truncate(l, ansi.StringWidth(trimmed), "")
}

// listItem is a rendered list item's start: its indent and its bullet or
// number.
var listItem = regexp.MustCompile(`^( *)(• |\d+\. )`)

// hang re-wraps each list item so that its wrapped lines start under its
// text: glamour starts them under the bullet.
func hang(lines []string, width int) []string {
	var out []string
	for i := 0; i < len(lines); i++ {
		m := listItem.FindStringSubmatch(ansi.Strip(lines[i]))
		if m == nil {
			out = append(out, lines[i])
			continue
		}
		indent := len(m[1])
		col := indent + ansi.StringWidth(m[2])
		parts := []string{ansi.TruncateLeft(lines[i], col, "")}
		for i+1 < len(lines) {
			next := ansi.Strip(lines[i+1])
			text := strings.TrimLeft(next, " ")
			if text == "" || len(next)-len(text) != indent || listItem.MatchString(next) {
				break
			}
			parts = append(parts, ansi.TruncateLeft(lines[i+1], indent, ""))
			i++
		}
		head := ansi.Truncate(lines[i-len(parts)+1], col, "")
		body := lipgloss.Wrap(strings.Join(parts, " "), max(width-col, 8), "")
		pad := strings.Repeat(" ", col)
		for j, l := range strings.Split(body, "\n") {
			if j == 0 {
				out = append(out, head+TrimRight(l))
			} else {
				out = append(out, pad+TrimRight(l))
			}
		}
	}
	return out
}
