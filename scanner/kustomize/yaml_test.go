package kustomize

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// kustomizeYAML is how kustomize prints an object: resource.AsYAML's steps.
func kustomizeYAML(rn *yaml.RNode) (string, error) {
	j, err := rn.MarshalJSON()
	if err != nil {
		return "", err
	}
	out, err := sigsyaml.JSONToYAML(j)
	return string(out), err
}

// TestResourceYAMLIsKustomizes: the short way from a node to kustomize's
// bytes gives kustomize's bytes, on the edge cases of each of kustomize's
// conversions, and takes the long way on what it is not sure of.
func TestResourceYAMLIsKustomizes(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		short     bool // jsonValue takes it
	}{
		{"plain object", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: a}}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n", true},
		{"keys sorted as yaml.v2 sorts them", "a10: 1\na9: 2\nB: 3\n_x: 4\n\"\": 5\nz: {b: 1, a: 2}\n", true},
		{"floats", "a: 0.5\nb: 1.0\nc: 1e3\nd: 1e21\ne: -0.0\nf: 1.5e-7\ng: 3.14159265358979\nh: 100000000000000000000.0\n", true},
		{"ints", "a: 0\nb: -7\nc: 0x1F\nd: 0o17\ne: 9223372036854775807\nf: +12\n", true},
		{"an int beyond int64", "a: 18446744073709551615\n", false},
		{"bools and nulls", "a: true\nb: False\nc: TRUE\nd: ~\ne: null\nf:\ng: yes\nh: on\n", true},
		{"strings that need quotes in yaml.v2", "a: \"yes\"\nb: \"123\"\nc: \"\"\nd: \"1.0\"\ne: \"null\"\nf: \"- x\"\ng: \"a: b\"\nh: \" lead\"\ni: \"#x\"\nj: \"0x1F\"\nk: \"on\"\n", true},
		{"escapes and unicode", "a: \"tab\\there\"\nb: \"nl\\nthere\"\nc: \"<&>\"\nd: \"\\u2028\"\ne: \"é😀\"\nf: \"\\x01\"\ng: \"trailing \"\n", true},
		{"block scalars", "a: |\n  line one\n  line two\nb: >\n  folded\n  text\nc: |-\n  kept\n", true},
		{"empty collections", "a: {}\nb: []\nc: [[], {}]\n", true},
		{"nested sequences", "a:\n- - 1\n  - x\n- {k: [true, ~, 1.5]}\n", true},
		{"explicit string tags", "a: !!str 123\nb: !!str true\n", true},
		{"a timestamp", "a: 2024-01-02\nb: 2001-12-14t21:59:43.10-05:00\n", false},
		{"an alias", "a: &x {k: v}\nb: *x\n", false},
		{"a merge key", "base: &b {k: v}\nm:\n  <<: *b\n  j: w\n", false},
		{"a custom tag", "a: !Ref thing\n", false},
		{"a non-string key", "1: a\n", false},
		{"NaN", "a: .nan\n", false},
		{"an empty null in a flow mapping", "a: {b: }\n", false},
		{"an empty null in a flow sequence", "a: [~, null]\nb: {c: [x, {d: }]}\n", false},
		{"an empty null in a block mapping", "a:\nb: {c: 1}\n", true},
		{"binary", "a: !!binary aGVsbG8=\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rn, err := yaml.Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			_, short := jsonValue(rn.YNode(), false)
			if short != tc.short {
				t.Errorf("jsonValue ok = %v, want %v", short, tc.short)
			}
			want, wantErr := kustomizeYAML(rn)
			got, err := resourceYAMLOf(rn)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, kustomize's %v", err, wantErr)
			}
			if got != want {
				t.Errorf("got\n%s\nkustomize prints\n%s", got, want)
			}
		})
	}
}

// TestResourceYAMLInvalidUTF8: a string that is not UTF-8 (which no parsed
// file holds, but a build's transformer may write) takes kustomize's way.
func TestResourceYAMLInvalidUTF8(t *testing.T) {
	rn := yaml.NewMapRNode(&map[string]string{"a": "x\xffy", "b": "ok"})
	if _, ok := jsonValue(rn.YNode(), false); ok {
		t.Error("jsonValue took a string that is not UTF-8")
	}
	want, wantErr := kustomizeYAML(rn)
	got, err := resourceYAMLOf(rn)
	if got != want || (err != nil) != (wantErr != nil) {
		t.Errorf("got %q (%v), kustomize prints %q (%v)", got, err, want, wantErr)
	}
}

// resourceYAMLOf is resourceYAML of a bare node.
func resourceYAMLOf(rn *yaml.RNode) (string, error) {
	if out, ok, err := shortYAML(rn.YNode()); ok {
		return string(out), err
	}
	return kustomizeYAML(rn)
}

// TestResourceYAMLOnTheCorpus: every object of every kustomization of the
// real-world corpus prints as kustomize prints it, and nearly all of them
// the short way.
func TestResourceYAMLOnTheCorpus(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("real-world corpus not found at %s: %v", corpus, err)
	}
	var dirs []string
	err := filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && IsFileName(d.Name()) {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsNone
	opts.PluginConfig = types.DisabledPluginConfig()
	var objects, short, built int
	for _, dir := range dirs {
		m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			continue // a remote base, a missing file: the build tests say so
		}
		built++
		for _, res := range m.Resources() {
			objects++
			want, err := res.AsYAML()
			if err != nil {
				t.Fatalf("%s: %s: %v", dir, res.CurId(), err)
			}
			got, err := resourceYAML(res)
			if err != nil {
				t.Fatalf("%s: %s: %v", dir, res.CurId(), err)
			}
			if string(got) != string(want) {
				t.Errorf("%s: %s: got\n%s\nkustomize prints\n%s", dir, res.CurId(), got, want)
			}
			if _, ok := jsonValue(res.YNode(), false); ok {
				short++
			}
		}
		all, err := m.AsYaml()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := asYAML(m); err != nil || string(got) != string(all) {
			t.Errorf("%s: asYAML differs from AsYaml (%v)", dir, err)
		}
	}
	t.Logf("%d kustomizations built, %d objects, %d the short way", built, objects, short)
	if built < 15 || short < objects*95/100 {
		t.Errorf("%d kustomizations built, %d of %d objects the short way: want at least 15 and 95%%", built, short, objects)
	}
}

// FuzzResourceYAML: on any mapping, the short way prints what kustomize
// prints, or fails where it fails.
func FuzzResourceYAML(f *testing.F) {
	for _, s := range []string{
		"a: 1.0\nb: [1e3, .5, -0.0]\nc: {d: ~, e: \"yes\"}\n",
		"a: 0x1F\nb: 0o17\nc: +12\nd: 9223372036854775807\n",
		"a: !!str 1\nb: !!float 1\nc: !!int \"7\"\nd: |\n  x\n",
		"a: \"\\u2028<&>\\x01\"\nb: 2024-01-02\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		rn, err := yaml.Parse(doc)
		if err != nil || rn.YNode().Kind != yaml.MappingNode {
			return
		}
		want, wantErr := kustomizeYAML(rn)
		got, err := resourceYAMLOf(rn)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("%q: got %q (%v), kustomize prints %q (%v)", doc, got, err, want, wantErr)
		}
	})
}
