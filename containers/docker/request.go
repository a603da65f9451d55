package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/streamlab/streamlab/containers"
)

// Labels on every container the provider starts. A start removes the
// containers whose process (LabelPID on LabelHost) is gone; see reapOrphans.
const (
	LabelProvider = "dev.streamlab.provider" // always "docker"
	LabelKind     = "dev.streamlab.kind"     // "kafka" or "pulsar"
	LabelPID      = "dev.streamlab.pid"      // the process that started it
	LabelHost     = "dev.streamlab.host"     // that process's host name
)

func labels(k containers.Kind) map[string]string {
	return map[string]string{
		LabelProvider: ProviderName,
		LabelKind:     string(k),
		LabelPID:      strconv.Itoa(os.Getpid()),
		LabelHost:     hostname(),
	}
}

// kafkaEnv is set on top of the kafka module's own environment (which
// makes a one-node KRaft cluster). Confluent's images turn KAFKA_* into
// broker properties; these match the local provider's broker: Kafka's own
// defaults where the course's checks depend on them, and the same heap.
var kafkaEnv = map[string]string{
	"KAFKA_HEAP_OPTS":                  "-Xms256m -Xmx512m",
	"KAFKA_AUTO_CREATE_TOPICS_ENABLE":  "true",
	"KAFKA_NUM_PARTITIONS":             "1",
	"KAFKA_DEFAULT_REPLICATION_FACTOR": "1",
	"KAFKA_MIN_INSYNC_REPLICAS":        "1",
	// Exercises check that learners set retention per topic, against
	// Kafka's default of 7 days.
	"KAFKA_LOG_RETENTION_HOURS": "168",
}

// pulsarEnv configures the standalone like the local provider's: the
// module's command runs the image's apply-config-from-env.py, which writes
// PULSAR_PREFIX_<key> into standalone.conf (pulsar.WithPulsarEnv adds that
// prefix too), and bin/pulsar takes the JVM's memory from PULSAR_MEM
// (the image asks for a 2g heap and 4g of direct memory).
var pulsarEnv = map[string]string{
	"PULSAR_MEM": "-Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m",
	// Pulsar deletes a topic without producers, consumers or subscriptions
	// after a minute, data and all; checks that run after a learner's
	// producer has exited must still find it.
	"PULSAR_PREFIX_brokerDeleteInactiveTopicsEnabled": "false",
	"PULSAR_PREFIX_allowAutoTopicCreation":            "true",
	"PULSAR_PREFIX_allowAutoTopicCreationType":        "non-partitioned",
	"PULSAR_PREFIX_webSocketServiceEnabled":           "false",
	"PULSAR_PREFIX_dbStorage_writeCacheMaxSizeMb":     "16",
	"PULSAR_PREFIX_dbStorage_readAheadCacheMaxSizeMb": "16",
}

// Container ports the modules expose.
const (
	pulsarBrokerPort = "6650/tcp"
	pulsarAdminPort  = "8080/tcp"
)

// pulsarWait replaces the pulsar module's readiness check, whose log line
// ("Successfully updated the policies on namespace public/default") Pulsar
// 4 standalone no longer prints. Like the local provider it waits until the
// admin API lists public/default, the namespace the standalone creates
// last, asking for the tenants first because asking for public's
// namespaces before the tenant exists logs an error in the broker.
func pulsarWait(timeout time.Duration) []wait.Strategy {
	return []wait.Strategy{
		wait.ForHTTP("/admin/v2/tenants").WithPort(pulsarAdminPort).
			WithResponseMatcher(jsonListHas("public")).
			WithStartupTimeout(timeout).WithPollInterval(200 * time.Millisecond),
		wait.ForHTTP("/admin/v2/namespaces/public").WithPort(pulsarAdminPort).
			WithResponseMatcher(jsonListHas("public/default")).
			WithStartupTimeout(timeout).WithPollInterval(200 * time.Millisecond),
		wait.ForListeningPort(pulsarBrokerPort).WithStartupTimeout(timeout),
	}
}

// jsonListHas matches a JSON array of strings that contains want.
func jsonListHas(want string) func(io.Reader) bool {
	return func(r io.Reader) bool {
		var list []string
		if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&list); err != nil {
			return false
		}
		return slices.Contains(list, want)
	}
}

// customizers are the options a start passes to the kind's module, after
// the module's own.
func (p *Provider) customizers(k containers.Kind, report func(containers.Stage, string), logger *lineLogger) ([]testcontainers.ContainerCustomizer, error) {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(logger),
		testcontainers.WithLabels(labels(k)),
		firstHooks(progressHooks(k, report)),
	}
	if p.opts.Log != nil {
		opts = append(opts, testcontainers.WithLogConsumers(&containerLog{w: p.opts.Log, prefix: string(k)}))
	}
	switch k {
	case containers.Kafka:
		opts = append(opts, testcontainers.WithEnv(kafkaEnv))
	case containers.Pulsar:
		t := p.startTimeout()
		opts = append(opts, testcontainers.WithEnv(pulsarEnv))
		opts = append(opts, testcontainers.WithWaitStrategyAndDeadline(t, pulsarWait(t)...))
	default:
		return nil, fmt.Errorf("docker provider: unknown cluster kind %q", k)
	}
	return opts, nil
}

// progressHooks turn the container's lifecycle into progress events. The
// image is already present when they run (ensureImage pulled it, with its
// own events), so the first is "starting".
func progressHooks(k containers.Kind, report func(containers.Stage, string)) testcontainers.ContainerLifecycleHooks {
	what := "Kafka"
	if k == containers.Pulsar {
		what = "Pulsar"
	}
	return testcontainers.ContainerLifecycleHooks{
		PreCreates: []testcontainers.ContainerRequestHook{func(_ context.Context, req testcontainers.ContainerRequest) error {
			report(containers.StageStarting, "creating a container from "+req.Image)
			return nil
		}},
		PreStarts: []testcontainers.ContainerHook{func(_ context.Context, c testcontainers.Container) error {
			report(containers.StageStarting, "starting container "+shortID(c))
			return nil
		}},
		PostStarts: []testcontainers.ContainerHook{func(_ context.Context, c testcontainers.Container) error {
			report(containers.StageWaiting, fmt.Sprintf("container %s started; waiting for %s to answer", shortID(c), what))
			return nil
		}},
		PostReadies: []testcontainers.ContainerHook{func(_ context.Context, c testcontainers.Container) error {
			report(containers.StageWaiting, fmt.Sprintf("%s answers in container %s; reading its mapped ports", what, shortID(c)))
			return nil
		}},
	}
}

// firstHooks puts h before the lifecycle hooks already in the request.
// Options apply after a module's own, and the kafka module waits for the
// broker inside its PostStarts hook: appended hooks (as
// WithAdditionalLifecycleHooks does) would report "waiting" only once the
// wait was over.
func firstHooks(h testcontainers.ContainerLifecycleHooks) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		req.LifecycleHooks = append([]testcontainers.ContainerLifecycleHooks{h}, req.LifecycleHooks...)
		return nil
	}
}

func shortID(c testcontainers.Container) string {
	if c == nil {
		return "?"
	}
	id := c.GetContainerID()
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
