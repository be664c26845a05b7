package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// dropped are the fields of a live object that no manifest holds: server
// bookkeeping, and status, which controllers write. Paths are dotted.
var dropped = map[string]bool{
	"status":                     true,
	"metadata.managedFields":     true,
	"metadata.resourceVersion":   true,
	"metadata.uid":               true,
	"metadata.generation":        true,
	"metadata.creationTimestamp": true,
	"metadata.selfLink":          true,
	"metadata.ownerReferences":   true,
}

// droppedAnnotations are annotations written by tools, not by the author;
// last-applied-configuration repeats the whole object as a JSON string.
var droppedAnnotations = map[string]bool{
	"kubectl.kubernetes.io/last-applied-configuration": true,
	"deployment.kubernetes.io/revision":                true,
}

// Render turns one object of a list response (JSON, without apiVersion and
// kind, as the API server writes list items) into a YAML document that
// starts with apiVersion and kind and keeps the server's field order, minus
// the dropped fields.
func Render(apiVersion, kind string, item []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.UseNumber()
	n, err := jsonNode(dec, "")
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("decode %s: not an object", kind)
	}
	// Items of a typed list carry no apiVersion and kind; put them first,
	// where manifests have them, whatever the item holds.
	content := []*yaml.Node{strKey("apiVersion"), strValue(apiVersion), strKey("kind"), strValue(kind)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "apiVersion" && k != "kind" {
			content = append(content, n.Content[i], n.Content[i+1])
		}
	}
	n.Content = content
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("render %s: %w", kind, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render %s: %w", kind, err)
	}
	return b.Bytes(), nil
}

// jsonNode reads one JSON value from dec as a YAML node with the tag YAML
// would resolve for it, skipping dropped fields; path is the value's dotted path.
func jsonNode(dec *json.Decoder, path string) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("%s: object key %v is not a string", path, kt)
				}
				child := key
				if path != "" {
					child = path + "." + key
				}
				v, err := jsonNode(dec, child)
				if err != nil {
					return nil, err
				}
				if dropped[child] {
					continue
				}
				if path == "metadata.annotations" && droppedAnnotations[key] {
					continue
				}
				if child == "metadata.annotations" && v.Kind == yaml.MappingNode && len(v.Content) == 0 {
					continue // held only dropped annotations
				}
				m.Content = append(m.Content, strKey(key), v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := jsonNode(dec, path+"[]")
				if err != nil {
					return nil, err
				}
				s.Content = append(s.Content, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return s, nil
		}
		return nil, fmt.Errorf("%s: unexpected %v", path, t)
	case string:
		return strValue(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		if t {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}, nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}, nil
	case nil:
		return nullNode(), nil
	}
	return nil, fmt.Errorf("%s: unexpected token %v", path, tok)
}

func strKey(s string) *yaml.Node   { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func strValue(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func nullNode() *yaml.Node         { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }
