// Publish every order as a record with a schema the broker keeps.
//
// The program receives PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, TOPIC and
// INPUT_FILE.
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
// TODO: describe every field of an order, not only its id.
const orderSchema = `{
  "type": "record",
  "name": "Order",
  "fields": [
    {"name": "order_id", "type": "string"}
  ]
}`

// Order is one line of the input file.
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

	// TODO: give the producer a schema of the order (pulsar.NewJSONSchema).
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: os.Getenv("TOPIC")})
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
		// TODO: with a schema, send the order itself as the Value and let
		// the schema encode it.
		payload, err := json.Marshal(order)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := producer.Send(ctx, &pulsar.ProducerMessage{Payload: payload}); err != nil {
			log.Fatal(err)
		}
		sent++
	}
	log.Printf("published %d orders", sent)
}
