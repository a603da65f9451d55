// Package keymap holds every key the terminal UI answers to, with its
// help text. Screens pick from it; none defines keys of its own.
package keymap

import "charm.land/bubbles/v2/key"

// KeyMap is the UI's keys.
type KeyMap struct {
	Up, Down           key.Binding
	PageUp, PageDown   key.Binding
	Open               key.Binding
	Back               key.Binding
	Quit               key.Binding
	Help               key.Binding
	Cluster            key.Binding
	NextStep, PrevStep key.Binding
	NextLink           key.Binding
	Lesson             key.Binding
	Check              key.Binding
	Cancel             key.Binding
	Edit               key.Binding
	Hint               key.Binding
	Reset              key.Binding
	Watch              key.Binding
	Solution           key.Binding
	NextExercise       key.Binding
	Output             key.Binding
	Yes, No            key.Binding
	Start              key.Binding
}

// Default is the key map.
func Default() *KeyMap {
	return &KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup/b", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "space", "f"), key.WithHelp("pgdn/space", "page down")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:     key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Cluster:  key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "cluster & inspector")),
		NextStep: key.NewBinding(key.WithKeys("right", "n"), key.WithHelp("→/n", "next step")),
		PrevStep: key.NewBinding(key.WithKeys("left", "p"), key.WithHelp("←/p", "previous step")),
		NextLink: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next exercise link")),
		Lesson:   key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "lesson")),
		Check:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "check")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Hint:     key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hint")),
		Reset:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reset")),
		Watch:    key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watch")),
		Solution: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "solution")),
		// n is also the lesson's next step, and "no" while a question waits.
		NextExercise: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next exercise")),
		Output:       key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "all output")),
		Yes:          key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:           key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
		Start:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start cluster")),
	}
}
