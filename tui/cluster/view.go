package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/inspect"
	"github.com/streamlab/streamlab/tui/common"
)

var stageText = map[containers.Stage]string{
	containers.StagePreparing: "preparing",
	containers.StagePulling:   "pulling",
	containers.StageStarting:  "starting",
	containers.StageWaiting:   "waiting",
	containers.StageReady:     "ready",
	containers.StageFailed:    "failed",
	containers.StageStopped:   "stopped",
}

// clustersView shows every kind of cluster and its start.
func (m *Model) clustersView() string {
	st, w := m.c.Styles, max(m.c.Width, 10)
	var b strings.Builder
	b.WriteString(st.Section.Render("Clusters") + "\n")
	for _, k := range common.Kinds {
		s := m.c.Clusters.Get(k)
		head := st.Label.Render(fmt.Sprintf("  %-6s ", k))
		switch s.State {
		case common.ClusterIdle:
			if s.KeptUp {
				// Nothing to start: the first check connects to it.
				b.WriteString(head + st.Pass.Render("○ kept up") + st.Muted.Render(" · "+s.Provider+" · reused, not started") + "\n")
				b.WriteString(st.Muted.Render(wrapIndent(s.Why, w, 9)) + "\n")
				continue
			}
			if s.NoCluster {
				b.WriteString(head + st.Muted.Render("○ none here") + "\n")
				b.WriteString(st.Muted.Render(wrapIndent("this workshop runs no "+string(k)+" cluster, and a check cannot start one: "+string(k)+" exercises cannot be checked here", w, 9)) + "\n")
				continue
			}
			why := "starts with the first check of a " + string(k) + " exercise"
			if k == m.kind() {
				why += ", or now with s"
			}
			b.WriteString(head + st.Muted.Render("○ not started") + "\n")
			b.WriteString(st.Muted.Render(wrapIndent(why, w, 9)) + "\n")
			continue
		case common.ClusterStarting:
			b.WriteString(head + m.spin.View() + st.Busy.Render(" starting") + st.Muted.Render(fmt.Sprintf(" · %s · %s · esc cancels", s.Provider, common.Duration(s.Elapsed(m.c.Now())))) + "\n")
		case common.ClusterReady:
			took := "started in " + common.Duration(s.Took)
			if s.KeptUp {
				took = "reused"
			}
			b.WriteString(head + st.Pass.Render("● ready") + st.Muted.Render(fmt.Sprintf(" · %s · %s", s.Provider, took)) + "\n")
		case common.ClusterFailed:
			b.WriteString(head + st.Fail.Render("✗ failed") + st.Muted.Render(fmt.Sprintf(" · %s · after %s", orNone(s.Provider), common.Duration(s.Took))) + "\n")
		}
		if s.Why != "" {
			b.WriteString(st.Muted.Render(wrapIndent(s.Why, w, 9)) + "\n")
		}
		for i, e := range s.Events {
			mark := st.Pass.Render("✓")
			last := i == len(s.Events)-1
			switch {
			case e.Stage == containers.StageFailed:
				mark = st.Fail.Render("✗")
			case last && s.State == common.ClusterStarting:
				mark = m.spin.View()
			}
			msg := e.Message
			if e.Stage == containers.StageFailed {
				msg = "" // the reason is below
			}
			line := fmt.Sprintf("         %s %6s  %-9s  %s", mark, common.Duration(e.Elapsed), stageText[e.Stage], st.Muted.Render(msg))
			b.WriteString(common.Truncate(line, w) + "\n")
		}
		if s.State == common.ClusterFailed && s.Err != nil {
			reason, remedy := Explain(s.Err)
			b.WriteString(st.Fail.Render(wrapIndent("Why: "+reason, w, 9)) + "\n")
			if remedy != "" {
				b.WriteString(st.Warn.Render(wrapIndent("What to do: "+remedy, w, 9)) + "\n")
			}
			b.WriteString(st.Muted.Render(wrapIndent("s tries again.", w, 9)) + "\n")
		}
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "no provider"
	}
	return s
}

func wrapIndent(s string, w, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(common.Wrap(s, max(w-n, 8)), "\n", "\n"+pad)
}

// Explain splits a provider's error into the reason and the remedy. The
// providers write their remedy after a semicolon; for the failures they
// cannot foresee (a port in use, a start that timed out) the remedy is
// given here.
func Explain(err error) (reason, remedy string) {
	msg := err.Error()
	reason, remedy, _ = strings.Cut(msg, "; ")
	low := strings.ToLower(msg)
	switch {
	case remedy != "":
	case errors.Is(err, context.Canceled):
		reason, remedy = "the start was cancelled", "press s to start it again"
	case strings.Contains(low, "address already in use") || strings.Contains(low, "port") && strings.Contains(low, "in use"):
		remedy = "another program holds the port: stop it, or use --cluster embedded for Kafka"
	case strings.Contains(low, "deadline exceeded") || strings.Contains(low, "timed out") || strings.Contains(low, "timeout"):
		remedy = "the cluster took too long to start; the machine may be busy. Try again, or use --cluster embedded for Kafka"
	case strings.Contains(low, "docker"):
		remedy = "start Docker, or use --cluster local (Java 17+) or --cluster embedded (Kafka only)"
	case strings.Contains(low, "java"):
		remedy = "install Java 17 or newer (https://adoptium.net) and run scripts/fetch-kafka, or use --cluster embedded"
	}
	return reason, remedy
}

// inspectorView draws the last run's topics and groups.
func (m *Model) inspectorView() string {
	st, w := m.c.Styles, max(m.c.Width, 10)
	var b strings.Builder
	title := "Inspector"
	if m.run != nil {
		title += st.Muted.Render(fmt.Sprintf(" · %s · run at %s", m.run.Exercise.ID, m.run.Started.Format("15:04:05")))
	}
	b.WriteString(st.Section.Render(title) + "\n")
	switch {
	case m.err != nil && errors.Is(m.err, inspect.ErrUnsupported):
		b.WriteString(st.Muted.Render(wrapIndent("The inspector cannot read "+string(m.kind())+" clusters yet.", w, 2)) + "\n")
		return b.String()
	case m.err != nil:
		b.WriteString(st.Error.Render(wrapIndent("The cluster did not answer: "+m.err.Error(), w, 2)) + "\n")
	case m.run == nil:
		what := "an exercise"
		if m.exercise != "" {
			what = m.exercise
		}
		kept := "topics and groups"
		if m.kind() == containers.Pulsar {
			kept = "topics and subscriptions"
		}
		b.WriteString(st.Muted.Render(wrapIndent("Nothing to inspect yet. Check "+what+" (c on its screen): its "+kept+" stay here, live, until the next check or until you quit.", w, 2)) + "\n")
		return b.String()
	}
	if m.snap == nil {
		b.WriteString(st.Muted.Render("  looking…") + "\n")
		return b.String()
	}
	if m.snap.Kind == containers.Pulsar {
		b.WriteString(m.pulsarView(w))
	} else {
		for _, t := range m.snap.Topics {
			b.WriteString(m.topicView(t, w))
		}
		for _, g := range m.snap.Groups {
			b.WriteString(m.groupView(g, w))
		}
	}
	if !m.snap.Taken.IsZero() {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  read-only · looked at %s · every %s", m.snap.Taken.Format("15:04:05"), PollEvery)) + "\n")
	}
	return b.String()
}

func (m *Model) topicView(t inspect.Topic, w int) string {
	st := m.c.Styles
	var b strings.Builder
	head := st.Label.Render("  topic ") + st.Code.Render(t.Name)
	if !t.Exists {
		msg := " · does not exist (yet)"
		if t.Err != "" {
			msg = " · " + t.Err
		}
		return common.Truncate(head+st.Muted.Render(msg), w) + "\n"
	}
	b.WriteString(common.Truncate(head+st.Muted.Render(fmt.Sprintf(" · %d partitions · %d records", len(t.Partitions), t.Records())), w) + "\n")
	maxEnd := t.MaxEnd()
	numW := len(fmt.Sprint(maxEnd))
	barW := max(min(w-40, 30), 5)
	for _, p := range t.Partitions {
		keys := ""
		switch {
		case p.Sampled == 0:
		case p.Keys == 0:
			keys = "no keys"
		default:
			keys = fmt.Sprintf("%d key", p.Keys)
			if p.Keys != 1 {
				keys += "s"
			}
			if !p.Complete() {
				keys = "≥" + keys
			}
			if len(p.Examples) > 0 {
				keys += "  " + strings.Join(p.Examples, " ")
			}
		}
		if p.Unkeyed > 0 && p.Keys > 0 {
			keys += fmt.Sprintf(" +%d unkeyed", p.Unkeyed)
		}
		line := fmt.Sprintf("    p%-2d %s %*d  %s", p.ID, common.Bar(st, p.End, maxEnd, barW), numW, p.End, st.Muted.Render(keys))
		b.WriteString(common.Truncate(line, w) + "\n")
	}
	return b.String()
}

func (m *Model) groupView(g inspect.Group, w int) string {
	st := m.c.Styles
	var b strings.Builder
	head := st.Label.Render("  group ") + st.Code.Render(g.Name)
	if !g.Exists {
		msg := " · no such group yet: it appears when a consumer joins or commits"
		if g.Err != "" {
			msg = " · " + g.Err
		}
		return common.Truncate(head+st.Muted.Render(msg), w) + "\n"
	}
	lag := st.Pass.Render("lag 0")
	if n := g.TotalLag(); n > 0 {
		lag = st.Warn.Render(fmt.Sprintf("lag %d", n))
	}
	b.WriteString(common.Truncate(head+st.Muted.Render(fmt.Sprintf(" · %s · %d members · ", g.State, g.Members))+lag, w) + "\n")
	for _, l := range g.Lag {
		committed := "nothing committed"
		if l.Committed >= 0 {
			committed = fmt.Sprintf("committed %d of %d", l.Committed, l.End)
		}
		line := fmt.Sprintf("    %s p%-2d %s · lag %d", shortTopic(l.Topic, g), l.Partition, committed, l.Lag)
		b.WriteString(st.Muted.Render(common.Truncate(line, w)) + "\n")
	}
	return b.String()
}

// shortTopic leaves out the topic name when the group reads only one.
func shortTopic(t string, g inspect.Group) string {
	for _, l := range g.Lag {
		if l.Topic != t {
			return t
		}
	}
	return ""
}
