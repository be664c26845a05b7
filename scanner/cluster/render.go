package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// dropped are the fields of a live object that no manifest holds: server
// bookkeeping, and status, which controllers write. Paths are dotted.
var dropped = map[string]bool{
	"apiVersion":                 true, // written first, from the kind listed
	"kind":                       true,
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
// the dropped fields. It writes YAML straight from the JSON tokens, as
// kubectl lays it out (two spaces, sequences not indented), quoting every
// string that could read back as anything but that string.
func Render(apiVersion, kind string, item []byte) ([]byte, error) {
	e := &emitter{dec: json.NewDecoder(bytes.NewReader(item))}
	e.dec.UseNumber()
	e.out.Grow(len(item))
	e.out.WriteString("apiVersion: ")
	e.scalar(apiVersion)
	e.out.WriteString("\nkind: ")
	e.scalar(kind)
	e.out.WriteByte('\n')
	if err := e.object(); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	if _, err := e.dec.Token(); err == nil {
		return nil, fmt.Errorf("decode %s: more than one value", kind)
	}
	// The buffer was sized for the JSON, which is longer; keep only the
	// YAML, which every scanned object holds until the scan ends.
	return bytes.Clone(e.out.Bytes()), nil
}

type emitter struct {
	dec *json.Decoder
	out bytes.Buffer
}

// object reads the top-level object.
func (e *emitter) object() error {
	tok, err := e.dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("not an object")
	}
	return e.mapping("", 0, false)
}

// mapping writes the entries of the object whose '{' was just read, at
// indent; inline puts the first key on the current line (after "- ").
func (e *emitter) mapping(path string, indent int, inline bool) error {
	for e.dec.More() {
		tok, err := e.dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("%s: object key %v is not a string", path, tok)
		}
		child := key
		if path != "" {
			child = path + "." + key
		}
		if dropped[child] {
			if err := e.skip(); err != nil {
				return err
			}
			continue
		}
		if child == "metadata.annotations" {
			if err := e.annotations(indent, inline); err != nil {
				return err
			}
			inline = false
			continue
		}
		if !inline {
			e.indent(indent)
		}
		inline = false
		e.scalar(key)
		e.out.WriteByte(':')
		if err := e.value(child, indent); err != nil {
			return err
		}
	}
	_, err := e.dec.Token() // '}'
	return err
}

// value writes the value of a mapping entry whose "key:" was just written.
func (e *emitter) value(path string, indent int) error {
	tok, err := e.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		if empty, err := e.closeEmpty(" {}\n"); empty || err != nil {
			return err
		}
		e.out.WriteByte('\n')
		return e.mapping(path, indent+2, false)
	case json.Delim('['):
		if empty, err := e.closeEmpty(" []\n"); empty || err != nil {
			return err
		}
		e.out.WriteByte('\n')
		return e.sequence(path+"[]", indent) // indentless, as kubectl writes them
	}
	e.out.WriteByte(' ')
	if err := e.token(tok); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	e.out.WriteByte('\n')
	return nil
}

// closeEmpty ends a collection whose '{' or '[' was just read when it is
// empty: it writes it as text (" {}\n", " []\n"), reads its end, and
// reports true.
func (e *emitter) closeEmpty(text string) (bool, error) {
	if e.dec.More() {
		return false, nil
	}
	e.out.WriteString(text)
	_, err := e.dec.Token()
	return true, err
}

// sequence writes the items of the array whose '[' was just read.
func (e *emitter) sequence(path string, indent int) error {
	for e.dec.More() {
		e.indent(indent)
		e.out.WriteByte('-')
		tok, err := e.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			if empty, err := e.closeEmpty(" {}\n"); err != nil {
				return err
			} else if empty {
				continue
			}
			e.out.WriteByte(' ')
			if err := e.mapping(path, indent+2, true); err != nil {
				return err
			}
		case json.Delim('['):
			if empty, err := e.closeEmpty(" []\n"); err != nil {
				return err
			} else if empty {
				continue
			}
			e.out.WriteByte('\n')
			if err := e.sequence(path+"[]", indent+2); err != nil {
				return err
			}
		default:
			e.out.WriteByte(' ')
			if err := e.token(tok); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			e.out.WriteByte('\n')
		}
	}
	_, err := e.dec.Token() // ']'
	return err
}

// annotations writes metadata.annotations without the tools' ones, and
// nothing when none is left.
func (e *emitter) annotations(indent int, inline bool) error {
	var m map[string]string
	if err := e.dec.Decode(&m); err != nil {
		return fmt.Errorf("metadata.annotations: %w", err)
	}
	var keys []string
	for k := range m {
		if !droppedAnnotations[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	// The API server sorts map keys when it encodes; keep that order.
	slices.Sort(keys)
	if !inline {
		e.indent(indent)
	}
	e.out.WriteString("annotations:\n")
	for _, k := range keys {
		e.indent(indent + 2)
		e.scalar(k)
		e.out.WriteString(": ")
		e.scalar(m[k])
		e.out.WriteByte('\n')
	}
	return nil
}

// skip reads and drops one value.
func (e *emitter) skip() error {
	var raw json.RawMessage
	return e.dec.Decode(&raw)
}

func (e *emitter) token(tok json.Token) error {
	switch t := tok.(type) {
	case string:
		e.scalar(t)
	case json.Number:
		e.out.WriteString(t.String())
	case bool:
		e.out.WriteString(strconv.FormatBool(t))
	case nil:
		e.out.WriteString("null")
	default:
		return fmt.Errorf("unexpected %v", tok)
	}
	return nil
}

func (e *emitter) indent(n int) {
	for range n {
		e.out.WriteByte(' ')
	}
}

// scalar writes a string plain when YAML reads it back as that same
// string, else double-quoted (Go's escapes are YAML's).
func (e *emitter) scalar(s string) {
	if plainSafe(s) {
		e.out.WriteString(s)
		return
	}
	e.out.WriteString(strconv.Quote(s))
}

// plainSafe is deliberately narrow: a string starting with a letter, '/'
// or '_', made of letters, digits and " _./:@=+,-", with no ": " and no
// trailing ':' or space, that is not a YAML 1.1 or 1.2 boolean or null.
// Anything that starts like a number, or holds an indicator, is quoted.
func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(" _./@=+,-", c) >= 0:
		case c == ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	if s[len(s)-1] == ' ' {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
	}
	return true
}
