package cluster

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/tui/common"
)

// pulsarView draws each topic with its message counts and, under it, its
// subscriptions with their backlog as a bar against what the topic
// received; then the exercise's subscriptions that no topic has.
func (m *Model) pulsarView(w int) string {
	st := m.c.Styles
	var b strings.Builder
	byTopic := map[string][]inspect.Subscription{}
	var missing []inspect.Subscription
	for _, s := range m.snap.Subscriptions {
		if !s.Exists {
			missing = append(missing, s)
			continue
		}
		byTopic[s.Topic] = append(byTopic[s.Topic], s)
	}
	for _, t := range m.snap.Topics {
		b.WriteString(m.pulsarTopicView(t, byTopic[t.Name], w))
	}
	for _, s := range missing {
		head := st.Label.Render("  subscription ") + st.Code.Render(s.Name)
		b.WriteString(withNote(head, st.Warn.Render("on none of these topics yet"), w, 4))
		b.WriteString(st.Muted.Render(wrapIndent("It appears when a consumer subscribes with this name.", w, 4)) + "\n")
	}
	return b.String()
}

func (m *Model) pulsarTopicView(t inspect.Topic, subs []inspect.Subscription, w int) string {
	st := m.c.Styles
	var b strings.Builder
	head := st.Label.Render("  topic ") + st.Code.Render(pulsarTopicName(t.Name, w-8))
	if !t.Exists {
		msg := "does not exist (yet)"
		if t.Err != "" {
			msg = t.Err
		}
		return withNote(head, st.Muted.Render(msg), w, 4)
	}
	b.WriteString(common.Truncate(head, w) + "\n")
	facts := fmt.Sprintf("    published %d · delivered %d", t.MsgIn, t.MsgOut)
	if t.Partitioned > 0 {
		facts += " · " + plural(t.Partitioned, "partition")
	}
	if t.Producers > 0 {
		facts += " · " + plural(t.Producers, "producer") + " connected"
	}
	if len(subs) == 0 {
		facts += " · no subscriptions"
	}
	b.WriteString(st.Muted.Render(common.Truncate(facts, w)) + "\n")

	// Backlogs are drawn against what the topic received, so a full bar
	// is a subscription that has acknowledged nothing.
	scale := t.MsgIn
	for _, s := range subs {
		scale = max(scale, s.Backlog)
	}
	numW := len(fmt.Sprint(scale))
	barW := max(min(w-44, 30), 5)
	for _, s := range subs {
		what := "    subscription "
		if !s.Durable {
			what = "    reader "
		}
		head := st.Label.Render(what) + st.Code.Render(s.Name)
		b.WriteString(withNote(head, st.Muted.Render(s.Type+" · "+plural(s.Consumers, "consumer")), w, 6))
		if !s.Expected && s.Durable {
			b.WriteString(st.Warn.Render(wrapIndent("not the name in "+m.subscriptionVars()+": the program made it", w, 6)) + "\n")
		}
		backlog := st.Pass.Render(fmt.Sprintf("%*d", numW, s.Backlog))
		if s.Backlog > 0 {
			backlog = st.Warn.Render(fmt.Sprintf("%*d", numW, s.Backlog))
		}
		rest := fmt.Sprintf(" · delivered %d", s.MsgOut)
		if s.Unacked > 0 {
			rest += fmt.Sprintf(" · %d unacked", s.Unacked)
		}
		line := "      backlog " + common.Bar(st, s.Backlog, scale, barW) + " " + backlog + st.Muted.Render(rest)
		b.WriteString(common.Truncate(line, w) + "\n")
	}
	return b.String()
}

// withNote puts a note after a head line, or on the next line, indented,
// when the two do not fit in w cells together.
func withNote(head, note string, w, indent int) string {
	if ansi.StringWidth(head)+3+ansi.StringWidth(note) <= w {
		return head + " · " + note + "\n"
	}
	return common.Truncate(head, w) + "\n" + common.Truncate(strings.Repeat(" ", indent)+note, w) + "\n"
}

// subscriptionVars names the variables that hold the run's subscription
// names, as the task text writes them.
func (m *Model) subscriptionVars() string {
	var names []string
	if m.run != nil {
		for _, v := range m.run.Exercise.Variables {
			if v.Kind == catalogue.KindSubscription {
				names = append(names, "$"+v.Name)
			}
		}
	}
	if len(names) == 0 {
		return "the exercise's variables"
	}
	return strings.Join(names, " or ")
}

// pulsarTopicName leaves out the default persistent:// scheme, and the
// tenant and namespace too when the whole name would not fit in w cells.
func pulsarTopicName(name string, w int) string {
	short := strings.TrimPrefix(name, "persistent://")
	if ansi.StringWidth(short) <= w {
		return short
	}
	if i := strings.LastIndex(short, "/"); i >= 0 {
		return "…" + short[i:]
	}
	return short
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
