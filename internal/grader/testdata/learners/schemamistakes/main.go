// pulsar/schema programs, chosen by MISTAKE: the mistakes learners make,
// and a right answer the reference solution does not give.
//
//	avro             an Avro schema instead of a JSON one: right
//	nothing          exits at once: publishes nothing
//	no-schema        the same JSON bytes, without a schema
//	missing-field    a JSON schema without amount_cents (the bytes still
//	                 carry it: Go's JSON schema does not check them)
//	string-amount    amount_cents declared and sent as a string
//	string-schema    a STRING schema: the topic has a schema, but no record
//	admin-schema     the right schema registered through the admin API, and
//	                 the orders sent by a producer without one
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log"
	"os"
	"strconv"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
)

const fullSchema = `{"type": "record", "name": "Order", "fields": [
  {"name": "order_id", "type": "string"},
  {"name": "customer_id", "type": "string"},
  {"name": "seq", "type": "int"},
  {"name": "amount_cents", "type": "long"}]}`

const noAmountSchema = `{"type": "record", "name": "Order", "fields": [
  {"name": "order_id", "type": "string"},
  {"name": "customer_id", "type": "string"},
  {"name": "seq", "type": "int"}]}`

const stringAmountSchema = `{"type": "record", "name": "Order", "fields": [
  {"name": "order_id", "type": "string"},
  {"name": "customer_id", "type": "string"},
  {"name": "seq", "type": "int"},
  {"name": "amount_cents", "type": "string"}]}`

type order struct {
	OrderID     string `json:"order_id" avro:"order_id"`
	CustomerID  string `json:"customer_id" avro:"customer_id"`
	Seq         int    `json:"seq" avro:"seq"`
	AmountCents int64  `json:"amount_cents" avro:"amount_cents"`
}

type stringAmountOrder struct {
	OrderID     string `json:"order_id"`
	CustomerID  string `json:"customer_id"`
	Seq         int    `json:"seq"`
	AmountCents string `json:"amount_cents"`
}

func main() {
	mistake := os.Getenv("MISTAKE")
	if mistake == "nothing" {
		return
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: os.Getenv("PULSAR_SERVICE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	topic := os.Getenv("TOPIC")

	opts := pulsar.ProducerOptions{Topic: topic}
	switch mistake {
	case "avro":
		opts.Schema = pulsar.NewAvroSchema(fullSchema, nil)
	case "no-schema":
	case "missing-field":
		opts.Schema = pulsar.NewJSONSchema(noAmountSchema, nil)
	case "string-amount":
		opts.Schema = pulsar.NewJSONSchema(stringAmountSchema, nil)
	case "string-schema":
		opts.Schema = pulsar.NewStringSchema(nil)
	case "admin-schema":
		registerSchema(topic)
	default:
		log.Fatalf("unknown MISTAKE %q", mistake)
	}
	producer, err := client.CreateProducer(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer producer.Close()

	f, err := os.Open(os.Getenv("INPUT_FILE"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var o order
		if err := json.Unmarshal(lines.Bytes(), &o); err != nil {
			log.Fatal(err)
		}
		msg := &pulsar.ProducerMessage{}
		switch mistake {
		case "no-schema", "admin-schema":
			msg.Payload, _ = json.Marshal(o)
		case "string-schema":
			msg.Value = lines.Text()
		case "string-amount":
			msg.Value = &stringAmountOrder{o.OrderID, o.CustomerID, o.Seq, strconv.FormatInt(o.AmountCents, 10)}
		default:
			msg.Value = &o
		}
		if _, err := producer.Send(context.Background(), msg); err != nil {
			log.Fatal(err)
		}
	}
}

func registerSchema(topic string) {
	admin, err := pulsaradmin.NewClient(&config.Config{WebServiceURL: os.Getenv("PULSAR_ADMIN_URL")})
	if err != nil {
		log.Fatal(err)
	}
	payload := utils.PostSchemaPayload{SchemaType: "JSON", Schema: fullSchema, Properties: map[string]string{}}
	if err := admin.Schemas().CreateSchemaByPayload(topic, payload); err != nil {
		log.Fatal(err)
	}
}
