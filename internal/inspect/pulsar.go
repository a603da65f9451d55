package inspect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/checks"
)

// pulsarBudget bounds one Inspect call: a broker that stops answering
// shows as an error on the next tick instead of a look that never ends.
const pulsarBudget = 5 * time.Second

// Pulsar inspects Pulsar topics and their subscriptions through the admin
// API's statistics only. It opens no producer, consumer or reader, and the
// statistics endpoints load a topic only if it exists, so looking never
// creates a topic or a subscription, even on a broker that auto-creates
// them for clients.
type Pulsar struct {
	admin pulsaradmin.Client
	url   string
	// partitioned remembers the topics found to be partitioned, so later
	// looks ask for their partitioned statistics straight away.
	partitioned map[string]bool
}

// NewPulsar returns an inspector for the Pulsar cluster at ep, reaching
// its admin API the way the grader does (token, TLS trust from ep.Auth).
func NewPulsar(ep containers.Endpoints) (*Pulsar, error) {
	if ep.PulsarAdminURL == "" {
		return nil, errors.New("inspect: the cluster has no Pulsar admin URL")
	}
	cfg := &config.Config{WebServiceURL: ep.PulsarAdminURL}
	if a := ep.Auth; a != nil {
		cfg.Token = a.PulsarToken
		cfg.TLSTrustCertsFilePath = a.TLSCAFile
		cfg.TLSAllowInsecureConnection = a.TLSInsecure
	}
	adm, err := pulsaradmin.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("inspect: connecting to the Pulsar admin API at %s: %w", ep.PulsarAdminURL, err)
	}
	return &Pulsar{admin: adm, url: ep.PulsarAdminURL, partitioned: map[string]bool{}}, nil
}

// Close releases nothing: the admin client holds only idle HTTP
// connections, which its transport closes by itself.
func (p *Pulsar) Close() {}

// Inspect reads the statistics of the target's topics: every subscription
// on them (the target's and any other the program made, but not nameless
// readers such as the grader's replay), and the target's
// subscriptions that no topic has. A topic that does not exist (yet) is
// reported as such; the error is for a broker that does not answer.
func (p *Pulsar) Inspect(ctx context.Context, t Target) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, pulsarBudget)
	defer cancel()
	snap := Snapshot{Kind: containers.Pulsar, Taken: time.Now()}
	expected := map[string]bool{}
	for _, s := range t.Subscriptions {
		expected[s] = true
	}
	found := map[string]bool{}
	for _, name := range t.Topics {
		topic, subs, err := p.topic(ctx, name)
		if err != nil {
			return snap, err
		}
		for i := range subs {
			subs[i].Expected = expected[subs[i].Name]
			found[subs[i].Name] = true
		}
		// The exercise's own subscriptions first, then the others by name.
		slices.SortFunc(subs, func(a, b Subscription) int {
			if a.Expected != b.Expected {
				if a.Expected {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.Name, b.Name)
		})
		snap.Topics = append(snap.Topics, topic)
		snap.Subscriptions = append(snap.Subscriptions, subs...)
	}
	for _, s := range t.Subscriptions {
		if !found[s] {
			snap.Subscriptions = append(snap.Subscriptions, Subscription{Name: s, Expected: true})
		}
	}
	return snap, nil
}

// topic reads one topic's statistics, as a plain topic first and as a
// partitioned one when the broker knows no plain topic of that name.
func (p *Pulsar) topic(ctx context.Context, name string) (Topic, []Subscription, error) {
	t := Topic{Name: name}
	tn, err := utils.GetTopicName(name)
	if err != nil {
		t.Err = fmt.Sprintf("not a Pulsar topic name: %v", err)
		return t, nil, nil
	}
	if !p.partitioned[name] {
		st, err := p.admin.Topics().GetStatsWithContext(ctx, *tn)
		switch {
		case err == nil:
			t.Exists = true
			t.MsgIn, t.Producers = st.MsgCounterIn, len(st.Publishers)
			subs := subscriptions(name, st.Subscriptions)
			t.MsgOut = delivered(subs)
			return t, subs, nil
		case !isStatus(err, http.StatusNotFound):
			return p.failed(t, err)
		}
	}
	ps, err := p.admin.Topics().GetPartitionedStatsWithContext(ctx, *tn, true)
	switch {
	case isStatus(err, http.StatusNotFound):
		delete(p.partitioned, name) // deleted since, or never made
		return t, nil, nil
	case err != nil:
		return p.failed(t, err)
	}
	p.partitioned[name] = true
	t.Exists = true
	t.Partitioned = max(ps.Metadata.Partitions, len(ps.Partitions))
	t.Producers = len(ps.Publishers)
	for _, part := range ps.Partitions {
		t.MsgIn += part.MsgCounterIn
	}
	subs := subscriptions(name, ps.Subscriptions)
	t.MsgOut = delivered(subs)
	return t, subs, nil
}

// failed sorts an error: the broker's answer about one topic (denied, an
// internal error) is shown on that topic; no answer at all fails the look.
func (p *Pulsar) failed(t Topic, err error) (Topic, []Subscription, error) {
	if _, ok := restError(err); ok {
		t.Err = err.Error()
		return t, nil, nil
	}
	return t, nil, fmt.Errorf("inspect: reading the statistics of %s from %s: %w", t.Name, p.url, err)
}

// replayReader matches the subscription of the grader's replay reader
// (pulsar-client-go appends "-" and five lowercase letters to the role).
var replayReader = regexp.MustCompile(`^` + checks.ReplayRole + `-[a-z]{5}$`)

// Replay reports whether a subscription is the grader's replay of a
// topic: not the learner's to see.
func (s Subscription) Replay() bool { return !s.Durable && replayReader.MatchString(s.Name) }

// delivered is what a topic's subscriptions delivered, the replay readers'
// left out. The topic's own counter would count the grader's replay as
// deliveries, even after the reader closed; a subscription that is gone
// (a reader closed, a subscription deleted) is not counted either.
func delivered(subs []Subscription) int64 {
	var n int64
	for _, s := range subs {
		n += s.MsgOut
	}
	return n
}

// subscriptions lists a topic's subscriptions, without replay readers.
func subscriptions(topic string, stats map[string]utils.SubscriptionStats) []Subscription {
	out := make([]Subscription, 0, len(stats))
	for name, s := range stats {
		sub := Subscription{
			Topic: topic, Name: name, Exists: true,
			Type: s.SubType, Durable: s.IsDurable,
			Consumers: len(s.Consumers),
			Backlog:   s.MsgBacklog, Unacked: s.UnAckedMessages, MsgOut: s.MsgOutCounter,
		}
		if !sub.Replay() {
			out = append(out, sub)
		}
	}
	return out
}

func restError(err error) (rest.Error, bool) {
	var re rest.Error
	if errors.As(err, &re) {
		return re, true
	}
	var rp *rest.Error
	if errors.As(err, &rp) && rp != nil {
		return *rp, true
	}
	return rest.Error{}, false
}

func isStatus(err error, code int) bool {
	re, ok := restError(err)
	return ok && re.Code == code
}
