package grader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/sirupsen/logrus"
	"github.com/streamlab/streamlab/containers"
	"github.com/streamlab/streamlab/internal/catalogue"
	"github.com/streamlab/streamlab/internal/checks"
)

// Pulsar names: every run's namespaces are made in this tenant, and topics
// without a namespace variable live in its default namespace.
const (
	pulsarTenant           = "public"
	pulsarDefaultNamespace = "public/default"
)

type pulsarBackend struct {
	ep     containers.Endpoints
	admin  pulsaradmin.Client
	client pulsar.Client
}

func newPulsarBackend(ep containers.Endpoints) *pulsarBackend { return &pulsarBackend{ep: ep} }

// quietLogger keeps the Pulsar client's logging off the learner's screen.
var quietLogger = func() plog.Logger {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	l.SetOutput(discard{})
	return plog.NewLoggerWithLogrus(l)
}()

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (b *pulsarBackend) Connect(ctx context.Context) error {
	if b.ep.PulsarServiceURL == "" || b.ep.PulsarAdminURL == "" {
		return errors.New("the cluster has no Pulsar service or admin URL")
	}
	acfg := &config.Config{WebServiceURL: b.ep.PulsarAdminURL}
	copts := pulsar.ClientOptions{
		URL:               b.ep.PulsarServiceURL,
		ConnectionTimeout: 5 * time.Second,
		OperationTimeout:  15 * time.Second,
		Logger:            quietLogger,
	}
	if a := b.ep.Auth; a != nil {
		if a.PulsarToken != "" {
			acfg.Token = a.PulsarToken
			copts.Authentication = pulsar.NewAuthenticationToken(a.PulsarToken)
		}
		acfg.TLSTrustCertsFilePath, copts.TLSTrustCertsFilePath = a.TLSCAFile, a.TLSCAFile
		acfg.TLSAllowInsecureConnection, copts.TLSAllowInsecureConnection = a.TLSInsecure, a.TLSInsecure
	}
	adm, err := pulsaradmin.NewClient(acfg)
	if err != nil {
		return fmt.Errorf("connecting to the Pulsar admin API at %s: %w", b.ep.PulsarAdminURL, err)
	}
	cl, err := pulsar.NewClient(copts)
	if err != nil {
		return fmt.Errorf("connecting to Pulsar at %s: %w", b.ep.PulsarServiceURL, err)
	}
	b.admin, b.client = adm, cl
	return b.Healthy(ctx)
}

func (b *pulsarBackend) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := b.admin.Namespaces().GetNamespacesWithContext(ctx, pulsarTenant); err != nil {
		return fmt.Errorf("Pulsar at %s does not answer: %w", b.ep.PulsarAdminURL, err)
	}
	return nil
}

func (b *pulsarBackend) Name(v catalogue.Variable, base string, values map[string]string) string {
	switch v.Kind {
	case catalogue.KindNamespace:
		return pulsarTenant + "/" + base
	case catalogue.KindTopic:
		ns := pulsarDefaultNamespace
		if v.Namespace != "" {
			ns = values[v.Namespace]
		}
		return "persistent://" + ns + "/" + base
	}
	return base
}

func (b *pulsarBackend) Create(ctx context.Context, v catalogue.Variable, value string) error {
	switch v.Kind {
	case catalogue.KindNamespace:
		if err := b.admin.Namespaces().CreateNamespaceWithContext(ctx, value); err != nil && !strings.Contains(err.Error(), "409") {
			return fmt.Errorf("creating namespace %s: %w", value, err)
		}
	case catalogue.KindTopic:
		tn, err := utils.GetTopicName(value)
		if err != nil {
			return err
		}
		parts := v.Partitions
		if err := b.admin.Topics().CreateWithContext(ctx, *tn, parts); err != nil && !strings.Contains(err.Error(), "409") {
			return fmt.Errorf("creating topic %s: %w", value, err)
		}
	}
	// Subscriptions are the learner's to create: where one starts is part
	// of what the exercises teach.
	return nil
}

func (b *pulsarBackend) Seed(ctx context.Context, topic string, lines, keys []string) error {
	// One entry per message: a batch is dispatched to one consumer as a
	// whole and redelivered as a whole, which would hide how Shared and
	// Key_Shared subscriptions spread work and how nacks behave.
	p, err := b.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		return fmt.Errorf("seeding %s: %w", topic, err)
	}
	defer p.Close()
	var firstErr error
	for i, l := range lines {
		msg := &pulsar.ProducerMessage{Payload: []byte(l)}
		if keys != nil {
			msg.Key = keys[i]
		}
		p.SendAsync(ctx, msg, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	if err := p.FlushWithCtx(ctx); err != nil {
		return fmt.Errorf("seeding %s: %w", topic, err)
	}
	if firstErr != nil {
		return fmt.Errorf("seeding %s: %w", topic, firstErr)
	}
	return nil
}

func (b *pulsarBackend) ProgramEnv() []string {
	env := []string{"PULSAR_SERVICE_URL=" + b.ep.PulsarServiceURL, "PULSAR_ADMIN_URL=" + b.ep.PulsarAdminURL}
	if a := b.ep.Auth; a != nil {
		if a.PulsarToken != "" {
			env = append(env, "PULSAR_AUTH_TOKEN="+a.PulsarToken)
		}
		if a.TLSCAFile != "" {
			env = append(env, "PULSAR_TLS_TRUST_CERTS_FILE="+a.TLSCAFile)
		}
	}
	return env
}

func (b *pulsarBackend) Fill(env *checks.Env) {
	env.Pulsar = &checks.PulsarClients{Admin: b.admin, Client: b.client}
}

// Remove deletes the run's topics (and the namespaces, with whatever the
// program made in them, such as dead-letter topics).
func (b *pulsarBackend) Remove(ctx context.Context, vars []catalogue.Variable, values map[string]string) error {
	var errs []error
	var namespaces []string
	for _, v := range vars {
		switch v.Kind {
		case catalogue.KindTopic:
			if tn, err := utils.GetTopicName(values[v.Name]); err == nil {
				if err := b.admin.Topics().DeleteWithContext(ctx, *tn, true, true); err != nil && !strings.Contains(err.Error(), "404") {
					errs = append(errs, err)
				}
			}
		case catalogue.KindNamespace:
			namespaces = append(namespaces, values[v.Name])
		}
	}
	for _, ns := range namespaces {
		topics, _ := b.admin.Namespaces().GetTopicsWithContext(ctx, ns)
		for _, t := range topics {
			if tn, err := utils.GetTopicName(t); err == nil {
				_ = b.admin.Topics().DeleteWithContext(ctx, *tn, true, true)
			}
		}
		if err := b.admin.Namespaces().DeleteNamespaceWithContext(ctx, ns); err != nil && !strings.Contains(err.Error(), "404") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (b *pulsarBackend) Close() {
	if b.client != nil {
		b.client.Close()
	}
}

func (b *pulsarBackend) RemoveByPrefix(ctx context.Context, prefix string) (int, error) {
	n := 0
	var errs []error
	namespaces, err := b.admin.Namespaces().GetNamespacesWithContext(ctx, pulsarTenant)
	if err != nil {
		return 0, err
	}
	for _, ns := range namespaces {
		if !strings.HasPrefix(ns, pulsarTenant+"/"+prefix) {
			continue
		}
		topics, _ := b.admin.Namespaces().GetTopicsWithContext(ctx, ns)
		for _, t := range topics {
			if tn, err := utils.GetTopicName(t); err == nil {
				_ = b.admin.Topics().DeleteWithContext(ctx, *tn, true, true)
			}
		}
		errs = append(errs, b.admin.Namespaces().DeleteNamespaceWithContext(ctx, ns))
		n++
	}
	topics, err := b.admin.Namespaces().GetTopicsWithContext(ctx, pulsarDefaultNamespace)
	if err != nil {
		return n, err
	}
	for _, t := range topics {
		tn, err := utils.GetTopicName(t)
		if err != nil || !strings.HasPrefix(tn.GetLocalName(), prefix) {
			continue
		}
		errs = append(errs, b.admin.Topics().DeleteWithContext(ctx, *tn, true, true))
		n++
	}
	return n, errors.Join(errs...)
}
