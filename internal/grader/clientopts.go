package grader

import (
	"github.com/streamlab/streamlab/containers"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaAuthOpts are the franz-go options that reach a Kafka cluster the way
// the grader does (TLS, SASL), for other read-only clients of the same
// cluster, such as the terminal UI's inspector.
func KafkaAuthOpts(a *containers.Auth) ([]kgo.Opt, error) { return kafkaAuthOpts(a) }
