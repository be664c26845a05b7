package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
)

var update = flag.Bool("update", false, "rewrite remedy.schema.json from the Config struct")

// schemaFile is the published JSON Schema of .remedy.yaml: editors
// validate with it (yaml-language-server: $schema=...).
const schemaFile = "remedy.schema.json"

// TestSchemaIsGenerated keeps remedy.schema.json what the Config struct
// and the catalog say: every key, no other (additionalProperties: false,
// as Parse refuses unknown keys), and the enums Parse checks. Run with
// -update after changing Config or the catalog.
func TestSchemaIsGenerated(t *testing.T) {
	b, err := json.MarshalIndent(generateSchema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(schemaFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("%s is out of date: go test ./config -run TestSchemaIsGenerated -update", schemaFile)
	}
}

// TestSchemaValidatesExamples checks every .remedy.yaml (and .yml) of
// the repository against the schema: those Parse accepts validate, those
// it refuses (a test's bad config) do not.
func TestSchemaValidatesExamples(t *testing.T) {
	sch := compileSchema(t)
	n := 0
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.Name() != config.FileName && d.Name() != config.AltFileName {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		_, parseErr := config.Parse(p, b)
		if parseErr == nil {
			parseErr = config.CheckControlIDs(p, b, scanner.DefaultCatalog().IDs())
		}
		valErr := validateYAML(sch, b)
		if (parseErr == nil) != (valErr == nil) {
			t.Errorf("%s: Parse says %v, the schema says %v", p, parseErr, valErr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("found %d configs in the repository, want the examples", n)
	}
	// And configs written here, accepted and refused alike.
	for _, tc := range []struct {
		yaml string
		ok   bool
	}{
		{"controls: {enable: [privileged]}\nseverity: high\ngroup: risk\npss: {version: v1.30}\n", true},
		{"helm:\n  releases:\n  - {name: web, chart: charts/web, valuesFiles: [prod.yaml]}\n", true},
		{"controls: {enable: [privlieged]}\n", false},
		{"controls:\n  accept:\n  - {control: liveness-probe, reason: batch jobs, until: 2027-01-31}\n", true},
		{"controls:\n  accept:\n  - {control: liveness-probe, until: 2027-01-31}\n", false},
		{"controls:\n  accept:\n  - {control: livenes-probe, reason: typo}\n", false},
		{"severity: severe\n", false},
		{"exclud: [x]\n", false},
		{"defaults: {resources: {limits: {gpu: 1}}}\n", false},
		{"prConcurrentLimit: many\n", false},
	} {
		if err := validateYAML(sch, []byte(tc.yaml)); (err == nil) != tc.ok {
			t.Errorf("%q: valid %v, want %v (%v)", tc.yaml, err == nil, tc.ok, err)
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateYAML(sch *jsonschema.Schema, b []byte) error {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == nil {
		v = map[string]any{}
	}
	j, err := json.Marshal(datesAsText(v))
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// datesAsText turns the timestamps YAML 1.1 resolves (until: 2027-01-31)
// back into the text an editor's YAML 1.2 schema check sees.
func datesAsText(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
	case map[string]any:
		for k, e := range x {
			x[k] = datesAsText(e)
		}
	case []any:
		for i, e := range x {
			x[i] = datesAsText(e)
		}
	}
	return v
}

// generateSchema walks Config as Parse does (yaml tags, unknown keys
// refused) and adds what validate checks.
func generateSchema() map[string]any {
	s := schemaOf(reflect.TypeOf(config.Config{}), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/remedy-bot/remedy/config/remedy.schema.json"
	s["title"] = "remedy repository config (.remedy.yaml)"
	s["description"] = "Generated from config.Config by config/schema_test.go; unknown keys are an error."
	return s
}

func schemaOf(t reflect.Type, path string) map[string]any {
	ids := scanner.DefaultCatalog().IDs()
	switch path {
	case "severity":
		return map[string]any{"type": "string", "enum": []string{"low", "medium", "high", "critical"}}
	case "group":
		return map[string]any{"type": "string", "enum": []string{"repo", "per-repo", "per-control", "risk"}}
	case "pss.version":
		return map[string]any{"type": "string", "pattern": `^(latest|v1\.(0|[1-9][0-9]*))$`}
	case "controls.enable", "controls.disable":
		return map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": ids}}
	case "controls.accept.control":
		return map[string]any{"type": "string", "enum": ids}
	case "controls.accept.until":
		return map[string]any{"type": "string", "pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`}
	case "defaults.resources.limits", "defaults.resources.requests":
		return map[string]any{"type": "object", "propertyNames": map[string]any{"enum": []string{"cpu", "memory", "ephemeral-storage"}},
			"additionalProperties": map[string]any{"type": []string{"string", "number"}}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), path)
	case reflect.Struct:
		props := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			props[name] = schemaOf(t.Field(i).Type, strings.TrimPrefix(path+"."+name, "."))
		}
		s := map[string]any{"type": []string{"object", "null"}, "properties": props, "additionalProperties": false}
		if path == "controls.accept" {
			s["type"], s["required"] = "object", []string{"control", "reason"}
		}
		return s
	case reflect.Slice:
		return map[string]any{"type": []string{"array", "null"}, "items": schemaOf(t.Elem(), path)}
	case reflect.Map:
		return map[string]any{"type": []string{"object", "null"}, "additionalProperties": schemaOf(t.Elem(), path)}
	case reflect.Int:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	default:
		return map[string]any{"type": "string"}
	}
}
