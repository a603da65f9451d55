// Topic creation, right and wrong, chosen by MISTAKE: one-partition,
// seven-days (retention set, to the old value), no-retention (the broker
// default left in place), alter-after (not a mistake: created, then the
// retention altered, which must pass).
package main

import (
	"context"
	"log"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")...))
	if err != nil {
		log.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, topic := context.Background(), os.Getenv("TOPIC")
	fourteen, seven := "1209600000", "604800000"
	partitions := int32(3)
	configs := map[string]*string{"retention.ms": &fourteen}
	switch os.Getenv("MISTAKE") {
	case "one-partition":
		partitions = 1
	case "seven-days":
		configs["retention.ms"] = &seven
	case "no-retention", "alter-after":
		configs = nil
	}
	if _, err := adm.CreateTopic(ctx, partitions, 1, configs, topic); err != nil {
		log.Fatal(err)
	}
	if os.Getenv("MISTAKE") == "alter-after" {
		_, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: &fourteen}}, topic)
		if err != nil {
			log.Fatal(err)
		}
	}
}
