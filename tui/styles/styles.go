// Package styles is the one place the terminal UI's look is defined.
// Colours are given for dark and light backgrounds; the renderer reduces
// them to what the terminal can show (down to none at all).
package styles

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles of every screen.
type Styles struct {
	IsDark bool
	// Glamour is the glamour style for lesson and task markdown.
	Glamour string

	Accent, Dim color.Color

	App       lipgloss.Style
	Title     lipgloss.Style
	Crumb     lipgloss.Style
	Header    lipgloss.Style
	Section   lipgloss.Style
	Text      lipgloss.Style
	Muted     lipgloss.Style
	Bold      lipgloss.Style
	Code      lipgloss.Style
	Label     lipgloss.Style
	Selected  lipgloss.Style
	Cursor    lipgloss.Style
	Next      lipgloss.Style
	Link      lipgloss.Style
	BarFull   lipgloss.Style
	BarEmpty  lipgloss.Style
	Pass      lipgloss.Style
	Fail      lipgloss.Style
	Error     lipgloss.Style
	Busy      lipgloss.Style
	Warn      lipgloss.Style
	Panel     lipgloss.Style
	Confirm   lipgloss.Style
	Status    lipgloss.Style
	Output    lipgloss.Style
	HelpStyle help.Styles
}

// New returns the styles for a dark or light terminal background.
func New(isDark bool) *Styles {
	ld := lipgloss.LightDark(isDark)
	var (
		fg     = ld(lipgloss.Color("#1F1F24"), lipgloss.Color("#E4E4EA"))
		muted  = ld(lipgloss.Color("#6C6C78"), lipgloss.Color("#8E8E9C"))
		faint  = ld(lipgloss.Color("#B4B4C0"), lipgloss.Color("#4A4A56"))
		accent = ld(lipgloss.Color("#5A3FD9"), lipgloss.Color("#9D8CFF"))
		green  = ld(lipgloss.Color("#12805C"), lipgloss.Color("#4FD69C"))
		red    = ld(lipgloss.Color("#C42B2B"), lipgloss.Color("#FF6B6B"))
		amber  = ld(lipgloss.Color("#9A6700"), lipgloss.Color("#F2C14E"))
		blue   = ld(lipgloss.Color("#1D5FBF"), lipgloss.Color("#6CB6FF"))
	)
	s := &Styles{IsDark: isDark, Accent: accent, Dim: faint}
	s.Glamour = "light"
	if isDark {
		s.Glamour = "dark"
	}
	s.App = lipgloss.NewStyle().Padding(0, 1)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Crumb = lipgloss.NewStyle().Foreground(muted)
	s.Header = lipgloss.NewStyle().Foreground(fg)
	s.Section = lipgloss.NewStyle().Bold(true).Foreground(fg)
	s.Text = lipgloss.NewStyle().Foreground(fg)
	s.Muted = lipgloss.NewStyle().Foreground(muted)
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.Code = lipgloss.NewStyle().Foreground(blue)
	s.Label = lipgloss.NewStyle().Foreground(muted)
	s.Selected = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Cursor = lipgloss.NewStyle().Foreground(accent)
	s.Next = lipgloss.NewStyle().Foreground(amber)
	s.Link = lipgloss.NewStyle().Underline(true).Foreground(blue)
	s.BarFull = lipgloss.NewStyle().Foreground(accent)
	s.BarEmpty = lipgloss.NewStyle().Foreground(faint)
	s.Pass = lipgloss.NewStyle().Foreground(green)
	s.Fail = lipgloss.NewStyle().Foreground(red)
	s.Error = lipgloss.NewStyle().Foreground(amber)
	s.Busy = lipgloss.NewStyle().Foreground(blue)
	s.Warn = lipgloss.NewStyle().Foreground(amber)
	s.Panel = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(faint).Padding(0, 1)
	s.Confirm = lipgloss.NewStyle().Bold(true).Foreground(amber)
	s.Status = lipgloss.NewStyle().Foreground(muted)
	s.Output = lipgloss.NewStyle().Foreground(muted)
	s.HelpStyle = help.DefaultStyles(isDark)
	return s
}
