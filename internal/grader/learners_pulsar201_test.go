package grader_test

import "github.com/streamlab/streamlab/internal/result"

// Schemas and delayed delivery: right answers the reference solutions do
// not give, and the classic mistakes, each failing exactly the checks that
// say so.
func init() {
	const (
		schema  = "the topic has a JSON or Avro schema of an order"
		decoded = "every order decodes by the schema, exactly once"
		ex      = "pulsar/schema"
	)
	submissions = append(submissions,
		submission{exercise: ex, name: "python JsonSchema of a Record", run: "$PY python/schema_json.py", want: result.Pass, python: true},
		submission{exercise: ex, name: "an Avro schema", run: "MISTAKE=avro go run ./schemamistakes", want: result.Pass},
		submission{exercise: ex, name: "publishes nothing", run: "MISTAKE=nothing go run ./schemamistakes", want: result.Fail,
			failing: []string{schema, decoded}},
		submission{exercise: ex, name: "the same JSON without a schema", run: "MISTAKE=no-schema go run ./schemamistakes", want: result.Fail,
			failing: []string{schema, decoded}},
		submission{exercise: ex, name: "a schema without amount_cents", run: "MISTAKE=missing-field go run ./schemamistakes", want: result.Fail,
			failing: []string{schema, decoded}},
		submission{exercise: ex, name: "amount_cents as a string", run: "MISTAKE=string-amount go run ./schemamistakes", want: result.Fail,
			failing: []string{schema, decoded}},
		submission{exercise: ex, name: "a STRING schema", run: "MISTAKE=string-schema go run ./schemamistakes", want: result.Fail,
			failing: []string{schema, decoded}},
		// The topic has the right schema; the messages were not written with it.
		submission{exercise: ex, name: "schema registered by hand, bytes sent without it", run: "MISTAKE=admin-schema go run ./schemamistakes", want: result.Fail,
			failing: []string{decoded}},
	)

	const (
		published = "every line was published exactly once"
		delayed   = "no order reached billing sooner than DELAY after it was published"
		dx        = "pulsar/delayed-delivery"
	)
	submissions = append(submissions,
		submission{exercise: dx, name: "python deliver_after", run: "$PY python/delayed_delivery.py", want: result.Pass, python: true},
		submission{exercise: dx, name: "DeliverAt per message", run: "MISTAKE=deliver-at go run ./delaymistakes", want: result.Pass},
		submission{exercise: dx, name: "publishes nothing", run: "MISTAKE=nothing go run ./delaymistakes", want: result.Fail,
			failing: []string{published, delayed}},
		submission{exercise: dx, name: "no delay", run: "MISTAKE=no-delay go run ./delaymistakes", want: result.Fail,
			failing: []string{delayed}},
		submission{exercise: dx, name: "sleeps, then publishes", run: "MISTAKE=sleep-first go run ./delaymistakes", want: result.Fail,
			failing: []string{delayed}},
		submission{exercise: dx, name: "DELAY read as milliseconds", run: "MISTAKE=milliseconds go run ./delaymistakes", want: result.Fail,
			failing: []string{delayed}},
		submission{exercise: dx, name: "a delay of its own, too short", run: "MISTAKE=one-second go run ./delaymistakes", want: result.Fail,
			failing: []string{delayed}},
	)
}
