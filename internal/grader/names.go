package grader

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
)

// newRunID is the suffix that makes one run's names its own.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

// ResourceName is the name a run gives a topic, group or subscription:
// learner prefix (for shared clusters), exercise, variable, run id. Only
// characters every Kafka and Pulsar name accepts are used.
func ResourceName(prefix, slug, variable, runID string) string {
	parts := []string{}
	if prefix != "" {
		parts = append(parts, prefix)
	}
	parts = append(parts, "sl", slug, strings.ReplaceAll(strings.ToLower(variable), "_", "-"), runID)
	name := strings.ToLower(strings.Join(parts, "-"))
	return strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-")
}

// ExercisePrefix is how every name of one learner's runs of one exercise
// starts: ResourceName without the variable and run id.
func ExercisePrefix(prefix, slug string) string {
	return strings.TrimSuffix(ResourceName(prefix, slug, "x", "x"), "-x-x") + "-"
}
