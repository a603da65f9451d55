package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

// PulsarClients are how checks reach a Pulsar cluster.
type PulsarClients struct {
	Admin  pulsaradmin.Client
	Client pulsar.Client
}

// Message is one Pulsar message as a check sees it.
type Message struct {
	Key        string
	Value      []byte
	Properties map[string]string
	// SchemaVersion is the version of the topic's schema the producer
	// wrote the message with; empty when the producer had no schema.
	SchemaVersion []byte
	PublishTime   time.Time // set by the producing client
}

// PulsarNotFound reports whether a Pulsar admin error means "no such
// thing": the learner's to fix, not the cluster's.
func PulsarNotFound(err error) bool {
	var re rest.Error
	if errors.As(err, &re) {
		return re.Code == http.StatusNotFound
	}
	var rp *rest.Error
	return errors.As(err, &rp) && rp.Code == http.StatusNotFound
}

// topicStats returns a topic's statistics; ok is false when the topic does
// not exist.
func (e *Env) topicStats(ctx context.Context, topic string) (utils.TopicStats, bool, error) {
	tn, err := utils.GetTopicName(topic)
	if err != nil {
		return utils.TopicStats{}, false, fmt.Errorf("topic name %q: %w", topic, err)
	}
	st, err := e.Pulsar.Admin.Topics().GetStatsWithContext(ctx, *tn)
	if PulsarNotFound(err) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("reading stats of %s: %w", topic, err)
	}
	return st, true, nil
}

// ReadPulsarTopic reads every message a fresh reader finds from the
// earliest position: what a new subscription would replay.
// ReplayRole starts the name of the non-durable subscription the grader
// reads a Pulsar topic with ("streamlab-replay-" and five letters).
const ReplayRole = "streamlab-replay"

func (e *Env) ReadPulsarTopic(ctx context.Context, topic string) ([]Message, error) {
	e.mu.Lock()
	if msgs, ok := e.messages[topic]; ok {
		e.mu.Unlock()
		return msgs, nil
	}
	e.mu.Unlock()
	// Partitioned or not: a reader reads every partition.
	if ok, err := e.pulsarTopicExists(ctx, topic); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNoTopic
	}
	r, err := e.Pulsar.Client.CreateReader(pulsar.ReaderOptions{
		Topic:          topic,
		StartMessageID: pulsar.EarliestMessageID(),
		// Never leave a durable cursor behind: reading must not change
		// what the learner's subscriptions see. The name says whose it is,
		// so the inspector leaves it out.
		SubscriptionRolePrefix: ReplayRole,
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", topic, err)
	}
	defer r.Close()
	var out []Message
	for r.HasNext() {
		m, err := r.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", topic, err)
		}
		out = append(out, Message{Key: m.Key(), Value: m.Payload(), Properties: m.Properties(), SchemaVersion: m.SchemaVersion(), PublishTime: m.PublishTime()})
	}
	e.mu.Lock()
	if e.messages == nil {
		e.messages = map[string][]Message{}
	}
	e.messages[topic] = out
	e.mu.Unlock()
	return out, nil
}

// messagesOf reads a topic named by a variable, turning absence into the
// learner's failure and anything else into an error.
func (e *Env) messagesOf(ctx context.Context, topicVar string) ([]Message, *Outcome) {
	topic := e.Var(topicVar)
	msgs, err := e.ReadPulsarTopic(ctx, topic)
	if errors.Is(err, errNoTopic) {
		o := failed("Topic %s does not exist. Did your program use the topic in $%s?", topic, topicVar)
		return nil, &o
	}
	if err != nil {
		o := errored(err)
		return nil, &o
	}
	return msgs, nil
}
