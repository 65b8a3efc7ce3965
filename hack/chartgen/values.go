package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// valueRow is one documented key of values.yaml.
type valueRow struct {
	Key, Type, Default, Description string
}

const docPrefix = "# --"

// valueRows lists the documented keys of values.yaml in file order. A key
// whose head comment starts with "# --" is a row, whatever its value (a map
// such as resources is documented as a whole); a map without one is walked
// into. A leaf without a description is an error, so that every value a
// user can set is in the README.
func valueRows(values []byte) ([]valueRow, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("values.yaml is not a map")
	}
	var rows []valueRow
	var undocumented []string
	var walk func(prefix string, m *yaml.Node) error
	walk = func(prefix string, m *yaml.Node) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			key := prefix + k.Value
			if desc, ok := description(k.HeadComment); ok {
				row, err := rowOf(key, desc, v)
				if err != nil {
					return err
				}
				rows = append(rows, row)
				continue
			}
			if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
				if err := walk(key+".", v); err != nil {
					return err
				}
				continue
			}
			undocumented = append(undocumented, key)
		}
		return nil
	}
	if err := walk("", doc.Content[0]); err != nil {
		return nil, err
	}
	if len(undocumented) > 0 {
		return nil, fmt.Errorf("keys without a %q comment: %s", docPrefix, strings.Join(undocumented, ", "))
	}
	return rows, nil
}

// description is the text of the "# --" comment (and the comment lines
// after it) closest to the key.
func description(head string) (string, bool) {
	lines := strings.Split(head, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.HasPrefix(lines[i], docPrefix) {
			continue
		}
		parts := []string{strings.TrimSpace(strings.TrimPrefix(lines[i], docPrefix))}
		for _, l := range lines[i+1:] {
			parts = append(parts, strings.TrimSpace(strings.TrimPrefix(l, "#")))
		}
		return strings.Join(parts, " "), true
	}
	return "", false
}

func rowOf(key, desc string, v *yaml.Node) (valueRow, error) {
	var val any
	if err := v.Decode(&val); err != nil {
		return valueRow{}, fmt.Errorf("decoding %s: %w", key, err)
	}
	def, err := json.Marshal(val)
	if err != nil {
		return valueRow{}, fmt.Errorf("encoding the default of %s: %w", key, err)
	}
	return valueRow{Key: key, Type: typeOf(val), Default: string(def), Description: desc}, nil
}

func typeOf(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case int, int64, uint64, float64:
		return "int"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// valuesTable renders rows as a Markdown table.
func valuesTable(rows []valueRow) []byte {
	var b bytes.Buffer
	b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", r.Key, r.Type, r.Default, strings.ReplaceAll(r.Description, "|", `\|`))
	}
	return b.Bytes()
}

const (
	tableStart = "<!-- values:start (make generate writes this table from values.yaml) -->\n"
	tableEnd   = "<!-- values:end -->\n"
)

// replaceTable puts table between the README's markers.
func replaceTable(readme, table []byte) ([]byte, error) {
	i := bytes.Index(readme, []byte(tableStart))
	j := bytes.Index(readme, []byte(tableEnd))
	if i < 0 || j < i {
		return nil, fmt.Errorf("the markers %q and %q are missing", strings.TrimSpace(tableStart), strings.TrimSpace(tableEnd))
	}
	var b bytes.Buffer
	b.Write(readme[:i+len(tableStart)])
	b.Write(table)
	b.Write(readme[j:])
	return b.Bytes(), nil
}
