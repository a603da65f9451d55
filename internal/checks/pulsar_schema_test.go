package checks

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
	"github.com/streamlab/streamlab/internal/datagen"
)

var orderFields = []string{"order_id", "customer_id", "seq", "amount_cents"}

// The definitions Go, Python and Java clients register for the same order.
const (
	goOrder = `{"type":"record","name":"Order","fields":[
		{"name":"order_id","type":"string"},{"name":"customer_id","type":"string"},
		{"name":"seq","type":"int"},{"name":"amount_cents","type":"long"}]}`
	pythonOrder = `{"type":"record","name":"Order","fields":[
		{"name":"order_id","type":["null","string"]},{"name":"customer_id","type":["null","string"]},
		{"name":"seq","type":["null","int"]},{"name":"amount_cents","type":["null","long"]}]}`
	javaOrder = `{"type":"record","name":"Order","namespace":"shop","fields":[
		{"name":"amount_cents","type":"long"},
		{"name":"customer_id","type":["null",{"type":"string","avro.java.string":"String"}],"default":null},
		{"name":"order_id","type":["null",{"type":"string","avro.java.string":"String"}],"default":null},
		{"name":"seq","type":"int"}]}`
	jsrOrder = `{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object","properties":{
		"order_id":{"type":"string"},"customer_id":{"type":["null","string"]},
		"seq":{"type":"integer"},"amount_cents":{"type":"integer"}}}`
	noAmount = `{"type":"record","name":"Order","fields":[
		{"name":"order_id","type":"string"},{"name":"customer_id","type":"string"},{"name":"seq","type":"int"}]}`
	stringAmount = `{"type":"record","name":"Order","fields":[
		{"name":"order_id","type":"string"},{"name":"customer_id","type":"string"},
		{"name":"seq","type":"int"},{"name":"amount_cents","type":"string"}]}`
)

func TestRecordFields(t *testing.T) {
	for _, c := range []struct {
		def  string
		want []recordField
		err  string
	}{
		{goOrder, []recordField{{"order_id", []string{"string"}}, {"customer_id", []string{"string"}}, {"seq", []string{"int"}}, {"amount_cents", []string{"long"}}}, ""},
		{pythonOrder, []recordField{{"order_id", []string{"null", "string"}}, {"customer_id", []string{"null", "string"}}, {"seq", []string{"null", "int"}}, {"amount_cents", []string{"null", "long"}}}, ""},
		{javaOrder, []recordField{{"amount_cents", []string{"long"}}, {"customer_id", []string{"null", "string"}}, {"order_id", []string{"null", "string"}}, {"seq", []string{"int"}}}, ""},
		{`"string"`, nil, "not JSON"},
		{`{"type":"enum","name":"E","symbols":["A"]}`, nil, `type is "enum", not a record`},
		{jsrOrder, []recordField{{"amount_cents", []string{"long"}}, {"customer_id", []string{"null", "string"}}, {"order_id", []string{"string"}}, {"seq", []string{"long"}}}, ""},
		{``, nil, "not JSON"},
	} {
		got, err := recordFields([]byte(c.def))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one saying %q", c.def, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v, %v\nwant %v", c.def, got, err, c.want)
		}
	}
}

func TestAdmits(t *testing.T) {
	n := json.Number("12")
	for _, c := range []struct {
		types []string
		v     any
		want  bool
	}{
		{[]string{"string"}, "o-1", true},
		{[]string{"null", "string"}, "o-1", true},
		{[]string{"int"}, "o-1", false},
		{[]string{"long"}, n, true},
		{[]string{"null", "double"}, n, true},
		{[]string{"string"}, n, false},
		{[]string{"int"}, json.Number("1.5"), false},
		{[]string{"float"}, json.Number("1.5"), true},
		{[]string{"boolean"}, true, true},
	} {
		if got := admits(c.types, c.v); got != c.want {
			t.Errorf("admits(%v, %v) = %v, want %v", c.types, c.v, got, c.want)
		}
	}
}

func TestJudgeSchema(t *testing.T) {
	const topic = "orders"
	sample := inputValues(datagen.Lines(datagen.Orders(1, datagen.OrdersSpec{Count: 3}))[0])
	either := []string{"JSON", "AVRO"}
	for _, c := range []struct {
		name    string
		schemas []topicSchema
		types   []string
		status  Status
		msg     string
	}{
		{"none", nil, either, Fail, "orders has no schema: the producer sent raw bytes. Give ProducerOptions a Schema"},
		{"go json", []topicSchema{{0, "JSON", []byte(goOrder)}}, either, Pass, "orders's schema is JSON (version 0), a record with the fields order_id, customer_id, seq, amount_cents"},
		{"python json", []topicSchema{{0, "JSON", []byte(pythonOrder)}}, either, Pass, "JSON (version 0)"},
		{"java avro", []topicSchema{{0, "AVRO", []byte(javaOrder)}}, either, Pass, "AVRO (version 0)"},
		{"java json schema draft", []topicSchema{{0, "JSON", []byte(jsrOrder)}}, either, Pass, "JSON (version 0)"},
		{"avro where only json will do", []topicSchema{{0, "AVRO", []byte(goOrder)}}, []string{"JSON"}, Fail, "schema is AVRO, expected JSON"},
		{"string", []topicSchema{{0, "STRING", nil}}, either, Fail, "schema is STRING, expected JSON or AVRO"},
		{"missing field", []topicSchema{{0, "JSON", []byte(noAmount)}}, either, Fail, "JSON schema (version 0) lacks amount_cents: a reader decoding by it never sees it"},
		{"wrong type", []topicSchema{{0, "JSON", []byte(stringAmount)}}, either, Fail, "amount_cents is string but holds values like"},
		{"not a record", []topicSchema{{0, "JSON", []byte(`{"type":"map","values":"string"}`)}}, either, Fail, "does not describe a record"},
		{"the latest version counts", []topicSchema{{0, "JSON", []byte(noAmount)}, {1, "JSON", []byte(goOrder)}}, either, Pass, "(version 1)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := judgeSchema(topic, c.schemas, c.types, orderFields, sample)
			if o.Status != c.status || !strings.Contains(o.Message, c.msg) {
				t.Errorf("got %s %q\nwant %s saying %q", o.Status, o.Message, c.status, c.msg)
			}
		})
	}
}

func version(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// asJSON writes each order as JSON, marked with schema version v.
func asJSON(lines []string, v int64) []Message {
	out := make([]Message, len(lines))
	for i, l := range lines {
		out[i] = Message{Value: []byte(l), SchemaVersion: version(v)}
	}
	return out
}

// asAvro encodes each order with an Avro definition.
func asAvro(t *testing.T, def string, lines []string, v int64) []Message {
	t.Helper()
	s, err := avro.ParseWithCache(def, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Message, len(lines))
	for i, l := range lines {
		var o datagen.Order
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatal(err)
		}
		rec := map[string]any{"order_id": o.OrderID, "customer_id": o.CustomerID, "seq": o.Seq, "amount_cents": o.AmountCents}
		b, err := avro.Marshal(s, rec)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Message{Value: b, SchemaVersion: version(v)}
	}
	return out
}

func TestJudgeDecoded(t *testing.T) {
	const topic = "orders"
	lines := datagen.Lines(datagen.Orders(7, datagen.OrdersSpec{Count: 20, Customers: 4}))
	jsonV0 := []topicSchema{{0, "JSON", []byte(goOrder)}}
	avroV0 := []topicSchema{{0, "AVRO", []byte(goOrder)}}
	withExtra := make([]string, len(lines))
	for i, l := range lines {
		withExtra[i] = strings.TrimSuffix(l, "}") + `,"note":"rush"}`
	}
	wrongSeq := asJSON(lines, 0)
	wrongSeq[3].Value = []byte(strings.Replace(lines[3], `"seq":`, `"seq":9`, 1))
	mixed := append(asJSON(lines[:10], 0), asAvro(t, goOrder, lines[10:], 1)...)

	for _, c := range []struct {
		name    string
		msgs    []Message
		schemas []topicSchema
		status  Status
		msg     string
	}{
		{"json", asJSON(lines, 0), jsonV0, Pass, "All 20 orders decode by orders's JSON schema, each exactly once"},
		{"json of a python record", asJSON(lines, 0), []topicSchema{{0, "JSON", []byte(pythonOrder)}}, Pass, "All 20 orders"},
		{"json described by a json schema draft", asJSON(lines, 0), []topicSchema{{0, "JSON", []byte(jsrOrder)}}, Pass, "All 20 orders"},
		{"fields beyond the schema are not read", asJSON(withExtra, 0), jsonV0, Pass, "All 20 orders"},
		{"avro", asAvro(t, goOrder, lines, 0), avroV0, Pass, "AVRO schema"},
		{"avro with nullable fields", asAvro(t, pythonOrder, lines, 0), []topicSchema{{0, "AVRO", []byte(pythonOrder)}}, Pass, "All 20 orders"},
		{"each by its own version", mixed, []topicSchema{{0, "JSON", []byte(goOrder)}, {1, "AVRO", []byte(goOrder)}}, Pass, "All 20 orders"},
		{"empty", nil, jsonV0, Fail, "orders is empty"},
		{"no schema", asJSON(lines, 0), nil, Fail, "orders has no schema, so no reader can decode its messages by one"},
		{"raw bytes beside a schema", []Message{{Value: []byte(lines[0])}}, jsonV0, Fail, "1 of 1 messages in orders carry no schema version: a producer without a schema sent them"},
		{"the schema lacks a field", asJSON(lines, 0), []topicSchema{{0, "JSON", []byte(noAmount)}}, Fail, "20 orders came without amount_cents"},
		{"a wrong value", wrongSeq, jsonV0, Fail, "seq is wrong in 1 order"},
		{"missing", asJSON(lines[2:], 0), jsonV0, Fail, "2 of 20 orders are missing"},
		{"twice", append(asJSON(lines, 0), asJSON(lines[:1], 0)...), jsonV0, Fail, "1 order arrived more than once"},
		{"strangers", append(asJSON(lines, 0), Message{Value: []byte(`{"order_id":"x"}`), SchemaVersion: version(0)}), jsonV0, Fail, "1 message names no order of the input"},
		{"a string schema", asJSON(lines, 0), []topicSchema{{0, "STRING", nil}}, Fail, "the 20 written with schema version 0, a STRING schema that describes no record"},
		{"an unknown version", asJSON(lines, 4), jsonV0, Fail, "the 20 written with schema version 4, which the topic does not have"},
		{"not JSON", []Message{{Value: []byte("o-1,c-1"), SchemaVersion: version(0)}}, jsonV0, Fail, "the 1 that do not decode by their schema"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := judgeDecoded(topic, c.msgs, c.schemas, lines, orderFields)
			if o.Status != c.status || !strings.Contains(o.Message, c.msg) {
				t.Errorf("got %s %q\nwant %s saying %q", o.Status, o.Message, c.status, c.msg)
			}
		})
	}
}

func TestSchemaVersion(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		v    int64
		ok   bool
		name string
	}{
		{version(0), 0, true, "zero"},
		{version(3), 3, true, "three"},
		{nil, 0, false, "none"},
		{[]byte{1}, 0, false, "short"},
	} {
		v, ok := schemaVersion(c.b)
		if v != c.v || ok != c.ok {
			t.Errorf("%s: %d %v", c.name, v, ok)
		}
	}
}
