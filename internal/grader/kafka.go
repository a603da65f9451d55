package grader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

type kafkaBackend struct {
	ep      containers.Endpoints
	opts    []kgo.Opt
	optsErr error
	cl      *kgo.Client
	adm     *kadm.Client
}

func newKafkaBackend(ep containers.Endpoints) *kafkaBackend {
	opts := []kgo.Opt{
		kgo.SeedBrokers(ep.KafkaBootstrap...),
		// A broker that has gone away should be an error in seconds, not
		// after the client's default minutes of retries.
		kgo.RequestRetries(3),
		kgo.RetryTimeout(10 * time.Second),
		kgo.DialTimeout(3 * time.Second),
		// Topics the grader just created must be writable at once: the
		// default waits up to 5s between metadata refreshes.
		kgo.MetadataMinAge(50 * time.Millisecond),
	}
	auth, err := kafkaAuthOpts(ep.Auth)
	return &kafkaBackend{ep: ep, opts: append(opts, auth...), optsErr: err}
}

// kafkaAuthOpts turns TLS and SASL settings into client options.
func kafkaAuthOpts(a *containers.Auth) ([]kgo.Opt, error) {
	if a == nil {
		return nil, nil
	}
	var opts []kgo.Opt
	tc, err := a.TLSConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	switch strings.ToUpper(a.SASLMechanism) {
	case "":
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: a.SASLUsername, Pass: a.SASLPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: a.SASLUsername, Pass: a.SASLPassword}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: a.SASLUsername, Pass: a.SASLPassword}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("SASL mechanism %q is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", a.SASLMechanism)
	}
	return opts, nil
}

func (b *kafkaBackend) Connect(ctx context.Context) error {
	if len(b.ep.KafkaBootstrap) == 0 {
		return errors.New("the cluster has no Kafka bootstrap servers")
	}
	if b.optsErr != nil {
		return b.optsErr
	}
	cl, err := kgo.NewClient(b.opts...)
	if err != nil {
		return fmt.Errorf("connecting to Kafka at %s: %w", strings.Join(b.ep.KafkaBootstrap, ","), err)
	}
	b.cl, b.adm = cl, kadm.NewClient(cl)
	err = b.Healthy(ctx)
	if a := b.ep.Auth; err != nil && a != nil && a.SASLMechanism != "" && refusedCredentials(err) {
		// A broker that rejects SASL closes the connection, which reads
		// as "does not answer: EOF" and sends people looking for a network
		// fault. Name the user and mechanism; never the secret.
		return fmt.Errorf("Kafka at %s refused the credentials: SASL %s authentication failed for user %q (check sasl_username and the password or password file in your config)",
			strings.Join(b.ep.KafkaBootstrap, ","), strings.ToUpper(a.SASLMechanism), a.SASLUsername)
	}
	return err
}

// refusedCredentials reports whether err is how a broker turns away a
// SASL login: an explicit authentication error, or a connection closed
// during the handshake.
func refusedCredentials(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.IllegalSaslState) ||
		errors.Is(err, kerr.UnsupportedSaslMechanism) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (b *kafkaBackend) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// Ping makes a real round trip; metadata answers may come from a cache.
	if err := b.cl.Ping(ctx); err != nil {
		return fmt.Errorf("Kafka at %s does not answer: %w", strings.Join(b.ep.KafkaBootstrap, ","), err)
	}
	return nil
}

func (b *kafkaBackend) Name(v catalogue.Variable, base string, _ map[string]string) string {
	return base
}

func (b *kafkaBackend) Create(ctx context.Context, v catalogue.Variable, value string) error {
	if v.Kind != catalogue.KindTopic {
		return nil // groups exist once a member joins
	}
	parts := int32(max(v.Partitions, 1))
	configs := map[string]*string{}
	for k, val := range v.Configs {
		configs[k] = &val
	}
	resp, err := b.adm.CreateTopic(ctx, parts, 1, configs, value)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("creating topic %s: %w", value, err)
	}
	return b.waitTopic(ctx, value, int(parts))
}

// waitTopic waits until metadata shows every partition with a leader: a
// topic just created is not yet writable everywhere.
func (b *kafkaBackend) waitTopic(ctx context.Context, topic string, parts int) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		td, err := b.adm.ListTopics(ctx, topic)
		if err == nil {
			if d, ok := td[topic]; ok && d.Err == nil && len(d.Partitions) == parts {
				ready := true
				for _, p := range d.Partitions {
					ready = ready && p.Leader >= 0 && p.Err == nil
				}
				if ready {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s did not become ready: %v", topic, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *kafkaBackend) Seed(ctx context.Context, topic string, lines, keys []string) error {
	return b.SeedAt(ctx, topic, lines, keys, nil)
}

// SeedAt is Seed with each record's CreateTime chosen: stamps[i] for
// lines[i], when stamps are given.
func (b *kafkaBackend) SeedAt(ctx context.Context, topic string, lines, keys []string, stamps []time.Time) error {
	recs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = &kgo.Record{Topic: topic, Value: []byte(l)}
		if keys != nil {
			recs[i].Key = []byte(keys[i])
		}
		if stamps != nil {
			recs[i].Timestamp = stamps[i]
		}
	}
	if err := b.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("seeding %s: %w", topic, err)
	}
	return nil
}

// ProgramEnv follows the names librdkafka-style clients use, so a program
// can pass them straight to its client's configuration.
func (b *kafkaBackend) ProgramEnv() []string {
	env := []string{"KAFKA_BOOTSTRAP_SERVERS=" + strings.Join(b.ep.KafkaBootstrap, ",")}
	a := b.ep.Auth
	if a == nil {
		return env
	}
	proto := "PLAINTEXT"
	switch {
	case a.TLS && a.SASLMechanism != "":
		proto = "SASL_SSL"
	case a.TLS:
		proto = "SSL"
	case a.SASLMechanism != "":
		proto = "SASL_PLAINTEXT"
	}
	env = append(env, "KAFKA_SECURITY_PROTOCOL="+proto)
	if a.SASLMechanism != "" {
		env = append(env, "KAFKA_SASL_MECHANISM="+a.SASLMechanism, "KAFKA_SASL_USERNAME="+a.SASLUsername, "KAFKA_SASL_PASSWORD="+a.SASLPassword)
	}
	if a.TLSCAFile != "" {
		env = append(env, "KAFKA_SSL_CA_LOCATION="+a.TLSCAFile)
	}
	return env
}

func (b *kafkaBackend) Fill(env *checks.Env) {
	env.Kafka, env.KafkaOpts = b.cl, b.opts
}

func (b *kafkaBackend) Remove(ctx context.Context, vars []catalogue.Variable, values map[string]string) error {
	var topics, groups []string
	for _, v := range vars {
		switch v.Kind {
		case catalogue.KindTopic:
			topics = append(topics, values[v.Name])
		case catalogue.KindGroup:
			groups = append(groups, values[v.Name])
		}
	}
	var errs []error
	if len(groups) > 0 {
		groups = append(groups, b.derivedGroups(ctx, groups)...)
		if _, err := b.adm.DeleteGroups(ctx, groups...); err != nil {
			errs = append(errs, err)
		}
	}
	if len(topics) > 0 {
		resp, err := b.adm.DeleteTopics(ctx, topics...)
		if err == nil {
			for _, r := range resp {
				if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
					errs = append(errs, r.Err)
				}
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// derivedGroups are the groups a program named after one it was given
// (GROUP-0, GROUP-1: a group per instance is a classic mistake). The
// given names are unique to the run, so whatever starts with one is the
// run's to remove.
func (b *kafkaBackend) derivedGroups(ctx context.Context, given []string) []string {
	listed, err := b.adm.ListGroups(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, name := range listed.Groups() {
		for _, g := range given {
			if strings.HasPrefix(name, g+"-") {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

func (b *kafkaBackend) Close() {
	if b.cl != nil {
		b.cl.Close()
	}
}

func (b *kafkaBackend) RemoveByPrefix(ctx context.Context, prefix string) (int, error) {
	topics, err := b.adm.ListTopics(ctx)
	if err != nil {
		return 0, err
	}
	var doomed []string
	for _, t := range topics.Names() {
		if strings.HasPrefix(t, prefix) {
			doomed = append(doomed, t)
		}
	}
	groups, err := b.adm.ListGroups(ctx)
	if err != nil {
		return 0, err
	}
	var groupNames []string
	for _, g := range groups.Groups() {
		if strings.HasPrefix(g, prefix) {
			groupNames = append(groupNames, g)
		}
	}
	var errs []error
	if len(groupNames) > 0 {
		_, err := b.adm.DeleteGroups(ctx, groupNames...)
		errs = append(errs, err)
	}
	if len(doomed) > 0 {
		_, err := b.adm.DeleteTopics(ctx, doomed...)
		errs = append(errs, err)
	}
	return len(doomed) + len(groupNames), errors.Join(errs...)
}
