// Package datagen generates the input data an exercise run receives. Every
// run draws from its own seed, so a program that hard-codes an answer cannot
// pass, while a seed given again reproduces a run exactly.
package datagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
)

// Order is one line of an orders input file. Field order here is the order
// in the JSON the learner reads. A line with Deleted set is not an order
// but a customer's deletion, and carries only the customer (see deletes.go);
// an order's id, seq and amount are never empty.
type Order struct {
	OrderID     string `json:"order_id,omitempty"`
	CustomerID  string `json:"customer_id"`
	Seq         int    `json:"seq,omitempty"` // 1, 2, 3... per customer, in file order
	AmountCents int64  `json:"amount_cents,omitempty"`
	// EventTime is when the order happened (RFC 3339, milliseconds, UTC),
	// set only when the spec asks for event times (eventtimes.go).
	EventTime string `json:"event_time,omitempty"`
	Poison    bool   `json:"poison,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
}

// OrdersSpec says how many orders to make and of what shape.
type OrdersSpec struct {
	Count     int `yaml:"count"`
	Customers int `yaml:"customers"`
	// PoisonEvery marks about one order in PoisonEvery as poison (0: none).
	PoisonEvery int `yaml:"poison_every"`
	// Deletes inserts that many customer deletions among the orders (0: none).
	Deletes int `yaml:"deletes"`
	// EventTimes, when set, gives every order the time it happened.
	EventTimes *EventTimes `yaml:"event_times"`
}

// Orders makes spec.Count orders spread over spec.Customers customers.
// Customers are interleaved at random so per-customer order is only kept by
// a program that keeps it.
func Orders(seed uint64, spec OrdersSpec) []Order {
	count, customers := spec.Count, spec.Customers
	if count <= 0 {
		count = 100
	}
	if customers <= 0 {
		customers = 10
	}
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	// A per-run tag in ids and customer names makes every run's data distinct.
	tag := fmt.Sprintf("%04x", r.Uint32()&0xffff)
	seqs := make([]int, customers)
	firsts := r.Perm(customers)
	out := make([]Order, 0, count)
	for i := range count {
		// Every customer appears at least once when count allows it.
		c := r.IntN(customers)
		if i < customers {
			c = firsts[i]
		}
		seqs[c]++
		o := Order{
			OrderID:     fmt.Sprintf("o-%s-%05d", tag, i+1),
			CustomerID:  fmt.Sprintf("c-%s-%03d", tag, c+1),
			Seq:         seqs[c],
			AmountCents: 100 + r.Int64N(99_900),
		}
		if spec.PoisonEvery > 0 && r.IntN(spec.PoisonEvery) == 0 {
			o.Poison = true
		}
		out = append(out, o)
	}
	if spec.PoisonEvery > 0 && !slices.ContainsFunc(out, func(o Order) bool { return o.Poison }) {
		out[r.IntN(len(out))].Poison = true // an exercise about poison needs some
	}
	if spec.EventTimes != nil {
		// From a source of their own, so that the orders are the same
		// with or without their times.
		withEventTimes(seed, out, spec.EventTimes.Span)
	}
	if spec.Deletes > 0 {
		out = withDeletes(r, out, spec.Deletes)
	}
	return out
}

// JSONLines renders orders as the bytes of a JSON-lines file.
func JSONLines(orders []Order) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, o := range orders {
		_ = enc.Encode(o) // cannot fail for this type
	}
	return b.Bytes()
}

// Lines returns each order's JSON text, exactly as written to the file.
func Lines(orders []Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		b, _ := json.Marshal(o)
		out[i] = string(b)
	}
	return out
}

// WriteFile writes orders as JSON lines to path.
func WriteFile(path string, orders []Order) error {
	if err := os.WriteFile(path, JSONLines(orders), 0o644); err != nil {
		return fmt.Errorf("writing input file: %w", err)
	}
	return nil
}
