package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// rbacTemplate turns config/rbac/role.yaml (controller-gen's ClusterRole,
// and the Role for the ownership ConfigMaps) into a chart template with the
// same rules, in the release's namespace.
func rbacTemplate(roleYAML []byte) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(generatedHeader)
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(roleYAML), 4096)
	n := 0
	for {
		var obj struct {
			Kind  string              `json:"kind"`
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("decoding: %w", err)
		}
		if obj.Kind == "" {
			continue
		}
		rules, err := sigsyaml.Marshal(obj.Rules)
		if err != nil {
			return nil, fmt.Errorf("encoding the rules of the %s: %w", obj.Kind, err)
		}
		if n > 0 {
			b.WriteString("---\n")
		}
		n++
		switch obj.Kind {
		case "ClusterRole":
			b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {{ include \"tgc.name\" . }}\n")
		case "Role":
			b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {{ include \"tgc.name\" . }}\n  namespace: {{ .Release.Namespace }}\n")
		default:
			return nil, fmt.Errorf("unexpected kind %q", obj.Kind)
		}
		b.WriteString("  labels:\n    {{- include \"tgc.labels\" . | nindent 4 }}\nrules:\n")
		b.Write(rules)
	}
	if n == 0 {
		return nil, fmt.Errorf("no ClusterRole or Role found")
	}
	return b.Bytes(), nil
}
