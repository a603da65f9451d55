package catalogue

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamlab/streamlab/containers"
)

const bridgeFile = "exercises/bridge/01-first/exercise.yaml"

// bridgeSpec is an exercise on both clusters; its lines are numbered in
// the comments.
func bridgeSpec(clusters string, outputVar ...string) string {
	out := []string{"  OUTPUT: {kind: topic, cluster: pulsar}"} // 7
	if len(outputVar) > 0 {
		out = outputVar
	}
	return fileOf(append([]string{
		"title: T",                              // 1
		clusters,                                // 2
		"files: [main.go]",                      // 3
		"variables:",                            // 4
		"  INPUT: {kind: topic, partitions: 3}", // 5
		"  GROUP: {kind: group}",                // 6
	}, append(out,
		"  SUB: {kind: subscription}",               // 8
		"  ORDERS: {kind: file, generator: orders}", // 9
		"seed: [{topic: INPUT, from: ORDERS}]",      // 10
		"hints: [one, two]",                         // 11
		"checks:",                                   // 12
		"  - name: copied",                          // 13
		"    type: pulsar.values-match-input",       // 14
		"    topic: OUTPUT",                         // 15
		"    input: ORDERS",                         // 16
		"  - name: committed",                       // 17
		"    type: kafka.group-caught-up",           // 18
		"    topic: INPUT",                          // 19
		"    group: GROUP",                          // 20
	)...)...)
}

func bridgeCourse(content string) map[string]string {
	return map[string]string{
		"labs/01-basics/lab.md":                  strings.ReplaceAll(goodLab, "kafka/first", "bridge/first"),
		"exercises/kafka/01-first/exercise.yaml": "",
		"exercises/kafka/01-first/main.go":       "",
		"solutions/kafka/01-first/main.go":       "",
		bridgeFile:                               content,
		"exercises/bridge/01-first/main.go":      "package main // TODO\n",
		"solutions/bridge/01-first/main.go":      "package main\n",
	}
}

// An exercise on two clusters places each resource on its own: topics on
// the first unless they say, groups on Kafka, subscriptions on Pulsar.
func TestBridgeExercisePlacesEachVariable(t *testing.T) {
	cat, err := Load(course(bridgeCourse(bridgeSpec("clusters: [kafka, pulsar]"))))
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("bridge/first")
	if ex.Cluster != containers.Kafka || !slices.Equal(ex.Kinds(), []containers.Kind{containers.Kafka, containers.Pulsar}) {
		t.Fatalf("cluster %s, kinds %v", ex.Cluster, ex.Kinds())
	}
	want := map[string]containers.Kind{"INPUT": containers.Kafka, "GROUP": containers.Kafka, "OUTPUT": containers.Pulsar, "SUB": containers.Pulsar, "ORDERS": ""}
	for _, v := range ex.Variables {
		if v.Cluster != want[v.Name] {
			t.Errorf("%s is on %q, want %q", v.Name, v.Cluster, want[v.Name])
		}
	}
}

// A one-cluster exercise has that cluster as its only kind, and its
// variables on it.
func TestOneClusterExerciseKinds(t *testing.T) {
	cat, err := Load(course(nil))
	if err != nil {
		t.Fatal(err)
	}
	ex := cat.Exercise("kafka/first")
	if !slices.Equal(ex.Kinds(), []containers.Kind{containers.Kafka}) || !ex.Uses(containers.Kafka) || ex.Uses(containers.Pulsar) {
		t.Fatalf("kinds %v", ex.Kinds())
	}
}

func TestClusterProblemsAtTheirLine(t *testing.T) {
	for _, c := range []struct {
		content string
		line    int
		msg     string
	}{
		{bridgeSpec("clusters: [kafka, rabbitmq]"), 2, `clusters must list kafka and pulsar, not "rabbitmq"`},
		{bridgeSpec("clusters: [kafka, kafka]"), 2, "clusters names kafka twice"},
		{bridgeSpec("cluster: kafka"), 7, "OUTPUT: a topic on pulsar, and this exercise uses kafka"},
		{bridgeSpec("cluster: kafka"), 13, `check "copied" is a pulsar check in a kafka exercise`},
		{bridgeSpec("clusters: [kafka, pulsar]", "  OUTPUT: {kind: group, cluster: pulsar}"), 7, "OUTPUT: a group lives on kafka, not pulsar"},
		{bridgeSpec("clusters: [kafka, pulsar]", "  OUTPUT: {kind: file, generator: orders, cluster: pulsar}"), 7, "OUTPUT: cluster is for topics; a file lives on no cluster"},
	} {
		ps := problemsFor(t, bridgeCourse(c.content), bridgeFile)
		wantProblemAt(t, ps, bridgeFile, c.line, c.msg)
	}
	both := strings.Replace(bridgeSpec("cluster: kafka"), "cluster: kafka", "cluster: kafka\nclusters: [kafka, pulsar]", 1)
	wantProblemAt(t, problemsFor(t, bridgeCourse(both), bridgeFile), bridgeFile, 3, "give cluster (one) or clusters (a list), not both")
}

// A track named after a cluster keeps to it.
func TestKafkaTrackOnTwoClusters(t *testing.T) {
	ps := problemsFor(t, map[string]string{specFile: strings.Replace(goodSpec, "cluster: kafka", "clusters: [kafka, pulsar]", 1)}, specFile)
	if !slices.ContainsFunc(ps, func(p Problem) bool { return p.Msg == "an exercise in track kafka must use cluster kafka, and only it" }) {
		t.Fatalf("problems %v", ps)
	}
}
