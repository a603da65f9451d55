package main

import (
	"io"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
	"golang.org/x/term"

	"github.com/streamlab/streamlab/internal/result"
)

// textOptions fit text to where it is read: the terminal's width and
// colours on a terminal; 80 columns and no colour in a file or a pipe, or
// when NO_COLOR is set.
func textOptions(w io.Writer) result.TextOptions {
	opts := result.TextOptions{Width: 80}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return opts
	}
	if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
		opts.Width = width
	}
	opts.Color = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	return opts
}

// wrap wraps text to the width, every line after the first indented.
func wrap(text string, width int, indent string) string {
	text = lipgloss.Wrap(text, max(width-len(indent), 20), " ")
	return strings.ReplaceAll(text, "\n", "\n"+indent)
}

// heading styles a heading when colours are on.
func heading(s string, opts result.TextOptions) string {
	if !opts.Color {
		return s
	}
	return lipgloss.NewStyle().Bold(true).Render(s)
}
