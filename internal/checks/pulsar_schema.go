package checks

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/hamba/avro/v2"
	"github.com/streamlab/streamlab/internal/datagen"
)

// Schemas: what Pulsar's schema registry holds for a topic, and the
// messages read back by it. Both checks judge the registry and the
// messages' own metadata, never the program, so any client that registers
// an equivalent JSON or Avro record schema passes.

func init() {
	register("pulsar.schema", "pulsar", "the topic has a registered JSON or Avro schema (of the given types) whose record has the given fields, typed to hold the input's values",
		func(p schemaParams) (Check, error) {
			if p.Topic == "" || len(p.Fields) == 0 {
				return nil, errors.New("needs topic and fields")
			}
			for _, t := range p.Types {
				if !recordSchemaTypes[t] {
					return nil, fmt.Errorf("schema_types: %q is not a record schema type (%s)", t, strings.Join(sortedKeys(recordSchemaTypes), ", "))
				}
			}
			return p, nil
		})
	register("pulsar.schema-values-match-input", "pulsar", "every message, decoded with the schema version it was written with, is one input line on the given fields, each exactly once",
		func(p schemaValuesParams) (Check, error) {
			if p.Topic == "" || p.Input == "" || len(p.Fields) == 0 {
				return nil, errors.New("needs topic, input and fields")
			}
			return p, nil
		})
}

// recordSchemaTypes are the schema types whose definition is an Avro
// record: Pulsar's JSON schema describes its JSON with one too.
var recordSchemaTypes = map[string]bool{"JSON": true, "AVRO": true}

// topicSchema is one version of a topic's schema.
type topicSchema struct {
	Version    int64
	Type       string // JSON, AVRO, STRING, ...
	Definition []byte
}

// schemasOf returns every version of a topic's schema, oldest first: none
// when producers only ever sent bytes.
func (e *Env) schemasOf(ctx context.Context, topic string) ([]topicSchema, error) {
	var infos []*utils.SchemaInfoWithVersion
	var err error
	type withContext interface {
		GetAllSchemasWithContext(context.Context, string) ([]*utils.SchemaInfoWithVersion, error)
	}
	if s, ok := e.Pulsar.Admin.Schemas().(withContext); ok {
		infos, err = s.GetAllSchemasWithContext(ctx, topic)
	} else {
		infos, err = e.Pulsar.Admin.Schemas().GetAllSchemas(topic)
	}
	if PulsarNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the schemas of %s: %w", topic, err)
	}
	var out []topicSchema
	for _, in := range infos {
		if in == nil || in.SchemaInfo == nil {
			continue
		}
		out = append(out, topicSchema{Version: in.Version, Type: in.SchemaInfo.Type, Definition: in.SchemaInfo.Schema})
	}
	slices.SortFunc(out, func(a, b topicSchema) int { return int(a.Version - b.Version) })
	return out, nil
}

// schemaVersion reads the version a message names: BookKeeper's schema
// storage writes it as an 8-byte big-endian number.
func schemaVersion(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

// recordField is one field of an Avro record definition, with the types
// it may hold (more than one for a union such as ["null", "string"]).
type recordField struct {
	Name  string
	Types []string
}

// recordFields reads the top-level fields of an Avro record definition,
// or of the JSON Schema (draft) object a Java client may register for a
// JSON schema instead.
func recordFields(def []byte) ([]recordField, error) {
	var rec struct {
		Type   json.RawMessage `json:"type"`
		Fields []struct {
			Name string          `json:"name"`
			Type json.RawMessage `json:"type"`
		} `json:"fields"`
		Properties map[string]struct {
			Type json.RawMessage `json:"type"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(def, &rec); err != nil {
		return nil, fmt.Errorf("the definition is not JSON: %w", err)
	}
	var typ string
	_ = json.Unmarshal(rec.Type, &typ)
	switch typ {
	case "record":
		out := make([]recordField, len(rec.Fields))
		for i, f := range rec.Fields {
			out[i] = recordField{Name: f.Name, Types: avroTypes(f.Type)}
		}
		return out, nil
	case "object":
		var out []recordField
		for _, name := range sortedKeys(rec.Properties) {
			out = append(out, recordField{Name: name, Types: jsonSchemaTypes(rec.Properties[name].Type)})
		}
		return out, nil
	}
	return nil, fmt.Errorf("the definition's type is %s, not a record", orNone(string(rec.Type)))
}

// jsonSchemaTypes names a JSON Schema property's types as Avro would.
func jsonSchemaTypes(raw json.RawMessage) []string {
	var names []string
	if json.Unmarshal(raw, &names) != nil {
		var one string
		_ = json.Unmarshal(raw, &one)
		names = []string{one}
	}
	as := map[string][]string{"string": {"string"}, "integer": {"long"}, "number": {"double"}, "boolean": {"boolean"}, "null": {"null"}}
	var out []string
	for _, n := range names {
		out = append(out, as[n]...)
	}
	return out
}

// avroTypes names the types a field's "type" admits: "string", a union
// ["null", "string"], or {"type": "string", ...} with annotations (as Java
// clients write them).
func avroTypes(raw json.RawMessage) []string {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return []string{name}
	}
	var union []json.RawMessage
	if json.Unmarshal(raw, &union) == nil {
		var out []string
		for _, u := range union {
			out = append(out, avroTypes(u)...)
		}
		return out
	}
	var obj struct {
		Type json.RawMessage `json:"type"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Type != nil {
		return avroTypes(obj.Type)
	}
	return nil
}

// admits reports whether a field of these Avro types can hold a JSON
// value as the input writes it.
func admits(types []string, v any) bool {
	want := map[string]bool{}
	switch v := v.(type) {
	case string:
		want["string"] = true
	case bool:
		want["boolean"] = true
	case json.Number:
		if _, err := v.Int64(); err == nil {
			want["int"], want["long"] = true, true
		}
		want["float"], want["double"] = true, true
	case nil:
		want["null"] = true
	default:
		return true // nested values are not the orders' business
	}
	return slices.ContainsFunc(types, func(t string) bool { return want[t] })
}

// inputValues decodes an input line with numbers kept exact.
func inputValues(line string) map[string]any {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m)
	return m
}

// ---- pulsar.schema

type schemaParams struct {
	Topic string   `yaml:"topic"`
	Types []string `yaml:"schema_types"` // default JSON and AVRO
	// Fields the record must have. With Input, each must be typed to hold
	// the values the input gives it (a string for "o-1", int or long for 12).
	Fields []string `yaml:"fields"`
	Input  string   `yaml:"input"`
}

func (p schemaParams) Vars() []string { return nonEmpty(p.Topic, p.Input) }
func (p schemaParams) Needs() string  { return "pulsar" }

func (p schemaParams) types() []string {
	if len(p.Types) == 0 {
		return []string{"JSON", "AVRO"}
	}
	return p.Types
}

func (p schemaParams) Evaluate(ctx context.Context, env *Env) Outcome {
	topic := env.Var(p.Topic)
	st, ok, err := env.topicStats(ctx, topic)
	if err != nil {
		return errored(err)
	} else if !ok {
		return failed("Topic %s does not exist. Did your program use the topic in $%s?", topic, p.Topic)
	}
	schemas, err := env.schemasOf(ctx, topic)
	if err != nil {
		return errored(err)
	}
	if len(schemas) == 0 && st.MsgCounterIn == 0 {
		return failed("%s has no schema, and nothing was published to it: publish every order with a producer that has a Schema.", topic)
	}
	var sample map[string]any
	if p.Input != "" {
		if lines := datagen.Lines(env.Input(p.Input)); len(lines) > 0 {
			sample = inputValues(lines[0])
		}
	}
	return judgeSchema(topic, schemas, p.types(), p.Fields, sample)
}

// judgeSchema judges a topic's latest schema. sample, when set, is an
// input line whose values the fields must be able to hold.
func judgeSchema(topic string, schemas []topicSchema, types, fields []string, sample map[string]any) Outcome {
	if len(schemas) == 0 {
		return failed("%s has no schema: the producer sent raw bytes. Give ProducerOptions a Schema (a %s schema of the order record), and Pulsar registers it with the topic.", topic, orList(types))
	}
	s := schemas[len(schemas)-1]
	if !slices.Contains(types, s.Type) {
		return failed("%s's schema is %s, expected %s: a %s schema says nothing about an order's fields. Describe the order as a record and use a %s schema of it.", topic, s.Type, orList(types), s.Type, orList(types))
	}
	fs, err := recordFields(s.Definition)
	if err != nil {
		return failed("%s's %s schema does not describe a record (%v): give the schema an Avro record definition with the fields %s.", topic, s.Type, err, strings.Join(fields, ", "))
	}
	byName := map[string]recordField{}
	for _, f := range fs {
		byName[f.Name] = f
	}
	var missing, mistyped []string
	for _, name := range fields {
		f, ok := byName[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case sample != nil && !admits(f.Types, sample[name]):
			mistyped = append(mistyped, fmt.Sprintf("%s is %s but holds values like %s", name, strings.Join(f.Types, " or "), sampleText(sample[name])))
		}
	}
	switch {
	case len(missing) > 0:
		return failed("%s's %s schema (version %d) lacks %s: a reader decoding by it never sees %s. Add %s to the record definition.",
			topic, s.Type, s.Version, strings.Join(missing, ", "), pronoun(len(missing)), strings.Join(missing, ", "))
	case len(mistyped) > 0:
		return failed("%s's %s schema (version %d) has fields of the wrong type: %s.", topic, s.Type, s.Version, strings.Join(mistyped, "; "))
	}
	return passed("%s's schema is %s (version %d), a record with the fields %s.", topic, s.Type, s.Version, strings.Join(fields, ", "))
}

func orList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func sampleText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ---- pulsar.schema-values-match-input

type schemaValuesParams struct {
	Topic  string   `yaml:"topic"`
	Input  string   `yaml:"input"`
	Fields []string `yaml:"fields"` // compared; the first names an order (order_id)
}

func (p schemaValuesParams) Vars() []string { return []string{p.Topic, p.Input} }
func (p schemaValuesParams) Needs() string  { return "pulsar" }

func (p schemaValuesParams) Evaluate(ctx context.Context, env *Env) Outcome {
	msgs, o := env.messagesOf(ctx, p.Topic)
	if o != nil {
		return *o
	}
	topic := env.Var(p.Topic)
	schemas, err := env.schemasOf(ctx, topic)
	if err != nil {
		return errored(err)
	}
	return judgeDecoded(topic, msgs, schemas, datagen.Lines(env.Input(p.Input)), p.Fields)
}

// decoder decodes messages written with one schema version.
type decoder struct {
	schema topicSchema
	fields map[string]bool // the record's fields
	avro   avro.Schema
	err    error // the definition cannot decode anything
}

func newDecoder(s topicSchema) *decoder {
	d := &decoder{schema: s, fields: map[string]bool{}}
	if !recordSchemaTypes[s.Type] {
		d.err = fmt.Errorf("a %s schema has no fields", s.Type)
		return d
	}
	fs, err := recordFields(s.Definition)
	if err != nil {
		d.err = err
		return d
	}
	for _, f := range fs {
		d.fields[f.Name] = true
	}
	if s.Type == "AVRO" {
		// A cache of its own: each version may define its own Order.
		d.avro, d.err = avro.ParseWithCache(string(s.Definition), "", &avro.SchemaCache{})
	}
	return d
}

// decode reads one message as a reader of the schema would: only the
// record's own fields, whatever else the bytes hold.
func (d *decoder) decode(payload []byte) (map[string]any, error) {
	if d.err != nil {
		return nil, d.err
	}
	var rec map[string]any
	if d.avro != nil {
		if err := avro.Unmarshal(d.avro, payload, &rec); err != nil {
			return nil, err
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("not a JSON object: %w", err)
		}
	}
	out := map[string]any{}
	for k, v := range rec {
		if d.fields[k] {
			out[k] = v
		}
	}
	return out, nil
}

// fieldText is a value's canonical JSON text, so 12, 12.0 and int64(12)
// compare equal.
func fieldText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return canonicalJSON(b)
}

// orderKey is an order's identity on the compared fields.
func orderKey(rec map[string]any, fields []string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		if v, ok := rec[f]; ok {
			parts[i] = fieldText(v)
		} else {
			parts[i] = "(none)"
		}
	}
	return strings.Join(parts, "\x00")
}

// judgeDecoded decodes every message with the schema version it names and
// compares the orders with the input lines on fields.
func judgeDecoded(topic string, msgs []Message, schemas []topicSchema, lines []string, fields []string) Outcome {
	if len(msgs) == 0 {
		return failed("%s is empty: publish every order of the input to it.", topic)
	}
	if len(schemas) == 0 {
		return failed("%s has no schema, so no reader can decode its messages by one: give ProducerOptions a Schema.", topic)
	}
	decoders := map[int64]*decoder{}
	for _, s := range schemas {
		decoders[s.Version] = newDecoder(s)
	}
	var raw int
	unknown := map[int64]int{}  // version the topic lacks -> messages
	noRecord := map[int64]int{} // version that describes no record -> messages
	var undecodable []string
	var records []map[string]any
	for _, m := range msgs {
		v, ok := schemaVersion(m.SchemaVersion)
		if !ok {
			raw++
			continue
		}
		d := decoders[v]
		switch {
		case d == nil:
			unknown[v]++
			continue
		case d.err != nil:
			noRecord[v]++
			continue
		}
		rec, err := d.decode(m.Value)
		if err != nil {
			undecodable = append(undecodable, fmt.Sprintf("%s: %v", messageName(m.Value), err))
			continue
		}
		records = append(records, rec)
	}
	if raw > 0 {
		return failed("%d of %d messages in %s carry no schema version: a producer without a schema sent them as raw bytes, although the topic has a schema. Publish with a producer that has the Schema.", raw, len(msgs), topic)
	}
	var problems []string
	for _, v := range sortedVersions(noRecord) {
		d := decoders[v]
		problems = append(problems, fmt.Sprintf("the %d written with schema version %d, a %s schema that describes no record (%v)", noRecord[v], v, d.schema.Type, d.err))
	}
	for _, v := range sortedVersions(unknown) {
		problems = append(problems, fmt.Sprintf("the %d written with schema version %d, which the topic does not have", unknown[v], v))
	}
	if len(undecodable) > 0 {
		problems = append(problems, fmt.Sprintf("the %d that do not decode by their schema (%s)", len(undecodable), examples(undecodable)))
	}
	if len(problems) > 0 {
		return failed("Of the %d messages in %s, no order can be read from %s. Publish orders with a JSON or Avro schema of the order record.", len(msgs), topic, strings.Join(problems, "; "))
	}

	// Match records to input orders on every field; then explain what did
	// not match by the order it names.
	want := map[string]int{}
	byID := map[string]map[string]any{}
	for _, l := range lines {
		in := inputValues(l)
		want[orderKey(in, fields)]++
		byID[fieldText(in[fields[0]])] = in
	}
	seen := map[string]int{}
	var dups, strangers []string
	differ := map[string][]string{} // field -> orders where it differs
	absent := map[string][]string{} // field -> orders that lack it
	explained := map[string]bool{}  // orders that arrived with a wrong field
	for _, rec := range records {
		k := orderKey(rec, fields)
		seen[k]++
		switch {
		case want[k] >= seen[k]:
			continue
		case want[k] > 0:
			dups = append(dups, orderName(rec, fields[0]))
			continue
		}
		in, ok := byID[fieldText(rec[fields[0]])]
		if !ok {
			strangers = append(strangers, short(sampleText(rec)))
			continue
		}
		explained[orderName(in, fields[0])] = true
		for _, f := range fields {
			got, has := rec[f]
			switch {
			case !has:
				differ[f] = append(differ[f], orderName(in, fields[0])+": none")
				absent[f] = append(absent[f], orderName(in, fields[0]))
			case fieldText(got) != fieldText(in[f]):
				differ[f] = append(differ[f], fmt.Sprintf("%s: %s, expected %s", orderName(in, fields[0]), fieldText(got), fieldText(in[f])))
			}
		}
	}
	var missing []string
	for _, l := range lines {
		in := inputValues(l)
		k := orderKey(in, fields)
		if seen[k] < want[k] {
			seen[k]++ // one name per missing copy
			if name := orderName(in, fields[0]); !explained[name] {
				missing = append(missing, name)
			}
		}
	}
	var parts []string
	if len(differ) > 0 {
		for _, f := range sortedKeys(differ) {
			if n := len(absent[f]); n == len(differ[f]) {
				parts = append(parts, fmt.Sprintf("%d order%s came without %s (%s): a reader decoding by the schema never sees it", n, plural(n), f, examples(absent[f])))
				continue
			}
			parts = append(parts, fmt.Sprintf("%s is wrong in %d order%s (%s)", f, len(differ[f]), plural(len(differ[f])), examples(differ[f])))
		}
		parts = append(parts, "decoded by the schema, each order must have every field of its input line, with the same value")
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d orders are missing (%s)", len(missing), len(lines), examples(missing)))
	}
	if len(dups) > 0 {
		parts = append(parts, fmt.Sprintf("%d order%s arrived more than once (%s)", len(dups), plural(len(dups)), examples(dups)))
	}
	if len(strangers) > 0 {
		parts = append(parts, fmt.Sprintf("%d message%s name%s no order of the input (%s)", len(strangers), plural(len(strangers)), verbS(len(strangers)), examples(strangers)))
	}
	if len(parts) > 0 {
		return failed("In %s, decoded by its schema: %s.", topic, strings.Join(parts, "; "))
	}
	latest := schemas[len(schemas)-1]
	return passed("All %d orders decode by %s's %s schema, each exactly once, with every field equal to the input.", len(lines), topic, latest.Type)
}

func orderName(rec map[string]any, idField string) string {
	if v, ok := rec[idField].(string); ok {
		return v
	}
	return short(sampleText(rec))
}

func sortedVersions(m map[int64]int) []int64 {
	vs := make([]int64, 0, len(m))
	for v := range m {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// verbS is a verb's -s for a count: "1 message names", "2 messages name".
func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
