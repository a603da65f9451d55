// Produce every order, keyed by its customer, exactly once, while the
// broker's answers to some produce requests are lost on the way back.
//
// An idempotent producer: the broker drops a batch it has already written,
// so a retry after a lost answer writes nothing twice.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := strings.Split(os.Getenv("KAFKA_BOOTSTRAP_SERVERS"), ",")
	topic := os.Getenv("TOPIC")

	// franz-go is idempotent by default: the client gets a producer id and
	// numbers each partition's batches, and resends a batch whose answer
	// was lost with the same number. Idempotence also keeps each
	// partition in order with several requests in flight, and needs
	// acks=all, franz-go's default too.
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	records, err := readOrders(os.Getenv("INPUT_FILE"), topic)
	if err != nil {
		log.Fatal(err)
	}
	// ProduceSync returns once every record is acknowledged (or failed).
	if err := client.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
		log.Fatal(err)
	}
	log.Printf("produced %d records", len(records))
}

// readOrders makes one record per line of the file, keyed by the order's
// customer_id, in file order.
func readOrders(path, topic string) ([]*kgo.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var records []*kgo.Record
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := append([]byte(nil), lines.Bytes()...)
		var order struct {
			CustomerID string `json:"customer_id"`
		}
		if err := json.Unmarshal(line, &order); err != nil {
			return nil, err
		}
		records = append(records, &kgo.Record{Topic: topic, Key: []byte(order.CustomerID), Value: line})
	}
	return records, lines.Err()
}
