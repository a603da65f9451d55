// Publish every order as a record with a schema the broker keeps.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"

	"github.com/apache/pulsar-client-go/pulsar"
)

// orderSchema describes an order as an Avro record: Pulsar's JSON and Avro
// schemas both take one.
const orderSchema = `{
  "type": "record",
  "name": "Order",
  "fields": [
    {"name": "order_id", "type": "string"},
    {"name": "customer_id", "type": "string"},
    {"name": "seq", "type": "int"},
    {"name": "amount_cents", "type": "long"}
  ]
}`

// Order is one line of the input file; its json tags are the field names
// of the schema.
type Order struct {
	OrderID     string `json:"order_id"`
	CustomerID  string `json:"customer_id"`
	Seq         int    `json:"seq"`
	AmountCents int64  `json:"amount_cents"`
}

func main() {
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()

	// The producer hands its schema to the broker, which registers it with
	// the topic (or refuses a producer whose schema does not fit).
	producer, err := client.CreateProducer(pulsar.ProducerOptions{
		Topic:  os.Getenv("TOPIC"),
		Schema: pulsar.NewJSONSchema(orderSchema, nil),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sent := 0
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var order Order
		if err := json.Unmarshal(lines.Bytes(), &order); err != nil {
			log.Fatal(err)
		}
		// Value, not Payload: the schema encodes the order.
		if _, err := producer.Send(ctx, &pulsar.ProducerMessage{Value: &order}); err != nil {
			log.Fatal(err)
		}
		sent++
	}
	log.Printf("published %d orders", sent)
}
