// Create a topic with three partitions that keeps its data for fourteen days.
package main

import (
	"context"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	topic := os.Getenv("TOPIC")

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	admin := kadm.NewClient(client)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	fourteenDays := strconv.FormatInt((14 * 24 * time.Hour).Milliseconds(), 10)
	resp, err := admin.CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": &fourteenDays}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		log.Fatalf("creating %s: %v", topic, err)
	}
	log.Printf("created %s with 3 partitions, retention.ms=%s", topic, fourteenDays)
}
