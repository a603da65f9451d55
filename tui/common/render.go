package common

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab/tui/styles"
)

// Bar draws a progress bar of width cells for done out of total.
func Bar(st *styles.Styles, done, total int64, width int) string {
	if width <= 0 {
		return ""
	}
	full := 0
	if total > 0 {
		full = int(done * int64(width) / total)
		if done > 0 && full == 0 {
			full = 1
		}
	}
	full = min(full, width)
	return st.BarFull.Render(strings.Repeat("█", full)) + st.BarEmpty.Render(strings.Repeat("░", width-full))
}

// Truncate cuts s to w cells, marking the cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// Wrap wraps s to w cells, at spaces where it can.
func Wrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Wrap(s, w, "")
}

// Fit makes s exactly h lines of at most w cells: longer lines are cut,
// extra lines dropped, missing lines added, so that nothing a screen draws
// can push the footer off or overlap it.
func Fit(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = Truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// Duration writes d the way a person reads it: 0.4s, 12s, 2m05s.
func Duration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
