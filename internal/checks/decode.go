package checks

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LineError is a problem at a line of a YAML document.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func lineErr(n *yaml.Node, format string, a ...any) error {
	return &LineError{Line: n.Line, Msg: fmt.Sprintf(format, a...)}
}

// asLineErr gives err the line of n unless it already names one.
func asLineErr(n *yaml.Node, err error) error {
	var le *LineError
	if errors.As(err, &le) {
		return err
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		// yaml.v3 already writes "line N: ..." into each of its messages.
		return &LineError{Line: n.Line, Msg: strings.Join(te.Errors, "; ")}
	}
	return &LineError{Line: n.Line, Msg: err.Error()}
}

// duplicateKey reports a key given twice in one mapping: YAML would keep
// the last silently, and the author would never know which one counted.
func duplicateKey(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if seen[k.Value] {
			return lineErr(k, "%q is given twice", k.Value)
		}
		seen[k.Value] = true
	}
	return nil
}

// StrictDecode decodes a mapping node into out (a pointer to a struct),
// reporting any key the struct does not declare, with its line, so that a
// typo in a spec is an error rather than a silently ignored setting.
func StrictDecode(node *yaml.Node, out any) error {
	if err := unknownKeys(node, reflect.TypeOf(out).Elem()); err != nil {
		return err
	}
	if err := node.Decode(out); err != nil {
		return asLineErr(node, err)
	}
	return nil
}

func unknownKeys(node *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[yaml.Node]() {
		return nil // decoded later, by whoever reads the node
	}
	if err := duplicateKey(node); err != nil {
		return err
	}
	switch {
	case t.Kind() == reflect.Struct && node.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return lineErr(k, "unknown field %q (known: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))
			}
			if err := unknownKeys(node.Content[i+1], ft); err != nil {
				return err
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && node.Kind == yaml.SequenceNode:
		for _, c := range node.Content {
			if err := unknownKeys(c, t.Elem()); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && node.Kind == yaml.MappingNode:
		for i := 1; i < len(node.Content); i += 2 {
			if err := unknownKeys(node.Content[i], t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps a struct's YAML keys to field types, following inline
// fields. Types with their own UnmarshalYAML are left to it.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		ft := f.Type
		if reflect.PointerTo(ft).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
			ft = reflect.TypeFor[any]()
		}
		out[name] = ft
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
