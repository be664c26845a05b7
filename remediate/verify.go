package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// EditDocument applies ops (pointers relative to the document root) to one
// document's bytes and verifies the result before returning it: the edited
// bytes must parse, and must equal, as an object, the original object with
// the same patch applied by evanphx/json-patch. Anything else is refused and
// the original bytes stay as they are.
//
// The operations are applied together where they do not depend on each
// other (docEditor.applyAll); when that fails in any way, they are applied
// again one by one, each in a fresh parse (docEditor.Apply), and that
// outcome is the answer. Both give the same bytes where both succeed.
func EditDocument(src []byte, ops []Op) ([]byte, error) {
	if len(ops) == 0 {
		return src, nil
	}
	if out, err := editVerified(src, ops, true); err == nil {
		return out, nil
	}
	return editVerified(src, ops, false)
}

// editVerified is EditDocument, applying the operations together (batched)
// or one by one.
func editVerified(src []byte, ops []Op, batched bool) ([]byte, error) {
	e, err := newDocEditor(src)
	if err != nil {
		return nil, err
	}
	before, err := nodeJSON(e.root)
	if err != nil {
		return nil, err
	}
	if batched {
		if err := e.applyAll(ops); err != nil {
			return nil, err
		}
	} else {
		for _, op := range ops {
			if err := e.Apply(op); err != nil {
				return nil, err
			}
		}
	}
	after, err := nodeJSON(e.root)
	if err != nil {
		return nil, err
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, fmt.Errorf("decode patch: %w", err)
	}
	want, err := p.Apply(before)
	if err != nil {
		return nil, fmt.Errorf("apply patch to the original object: %w", err)
	}
	if !jsonEqual(want, after) {
		return nil, refuse("the edited file does not read back as the patched object")
	}
	return e.src, nil
}

// nodeJSON converts a parsed node to JSON the way Kubernetes reads YAML.
func nodeJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, refuse("cannot read the document as an object: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, refuse("cannot convert the document to JSON: %v", err)
	}
	return b, nil
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// ParseJSON reads a document's bytes into its JSON form.
func ParseJSON(src []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return []byte("null"), nil
		}
		return nil, err
	}
	return nodeJSON(&n)
}
