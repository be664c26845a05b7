package remediate

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/remedy-bot/remedy/scanner"
)

func TestCoalesce(t *testing.T) {
	tests := []struct {
		name     string
		doc, ops string
		want     string // coalesced ops
	}{
		{
			name: "fields join the mapping an earlier add created",
			doc:  `{"c":{"name":"a"}}`,
			ops:  `[{"op":"add","path":"/c/securityContext","value":{"readOnlyRootFilesystem":true}},{"op":"add","path":"/c/securityContext/allowPrivilegeEscalation","value":false},{"op":"add","path":"/c/securityContext/capabilities","value":{"drop":["NET_RAW"]}},{"op":"add","path":"/c/securityContext/capabilities/drop/-","value":"ALL"}]`,
			want: `[{"op":"add","path":"/c/securityContext","value":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["NET_RAW","ALL"]},"readOnlyRootFilesystem":true}}]`,
		},
		{
			name: "unrelated paths stay separate",
			doc:  `{"a":{},"b":{}}`,
			ops:  `[{"op":"add","path":"/a/x","value":1},{"op":"add","path":"/b/y","value":2}]`,
			want: `[{"op":"add","path":"/a/x","value":1},{"op":"add","path":"/b/y","value":2}]`,
		},
		{
			name: "a removal in between blocks the merge",
			doc:  `{"a":{}}`,
			ops:  `[{"op":"add","path":"/a/s","value":{"x":1}},{"op":"remove","path":"/a/s/x"},{"op":"add","path":"/a/s/y","value":2}]`,
			want: `[{"op":"add","path":"/a/s","value":{"x":1}},{"op":"remove","path":"/a/s/x"},{"op":"add","path":"/a/s/y","value":2}]`,
		},
		{
			name: "an existing key is not overwritten by merging",
			doc:  `{"a":{}}`,
			ops:  `[{"op":"add","path":"/a/s","value":{"x":1}},{"op":"add","path":"/a/s/x","value":2}]`,
			want: `[{"op":"add","path":"/a/s","value":{"x":1}},{"op":"add","path":"/a/s/x","value":2}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ops []Op
			if err := json.Unmarshal([]byte(tt.ops), &ops); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(coalesce(ops))
			if string(got) != tt.want {
				t.Errorf("coalesce:\n got %s\nwant %s", got, tt.want)
			}
			// Equivalent patches: both give the same object.
			a, b := applyPatch(t, tt.doc, tt.ops), applyPatch(t, tt.doc, string(got))
			if !jsonEqual(a, b) {
				t.Errorf("coalesced patch gives %s, original %s", b, a)
			}
		})
	}
}

func applyPatch(t *testing.T, doc, ops string) []byte {
	t.Helper()
	p, err := jsonpatch.DecodePatch([]byte(ops))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCloneMatchesJSONRoundTrip: clone's direct copy gives what a JSON round
// trip gives, for values in JSON form and for the rest.
func TestCloneMatchesJSONRoundTrip(t *testing.T) {
	roundTrip := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(b, &out)
		return out
	}
	var nilMap map[string]any
	var nilSlice []any
	for _, v := range []any{
		nil, true, false, 1.5, 0.1, math.Copysign(0, -1), 1e300, "s", "<&>", "\u2028", "bad\xff",
		math.NaN(), math.Inf(1), 3, json.Number("7"), map[string]string{"a": "b"},
		nilMap, nilSlice, map[string]any{}, []any{},
		map[string]any{"a": []any{"ALL", 1.0, nil, map[string]any{"b": false}}},
		map[string]any{"a": map[string]any{"bad\xff": 1.0}},
		map[string]any{"a": math.NaN(), "b": 1.0},
		[]any{1, "x"},
	} {
		want, got := roundTrip(v), clone(v)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("clone(%#v) = %#v, want %#v", v, got, want)
		}
	}
	// The copy shares nothing with the original.
	orig := map[string]any{"a": []any{map[string]any{"b": 1.0}}}
	c := clone(orig).(map[string]any)
	c["a"].([]any)[0].(map[string]any)["b"] = 2.0
	if orig["a"].([]any)[0].(map[string]any)["b"] != 1.0 {
		t.Error("clone shares nested values")
	}
}

// TestPatchBuilderRollback: rollback leaves the builder's object exactly as
// it was when tracking started, whatever the changes in between.
func TestPatchBuilderRollback(t *testing.T) {
	const obj = `{"spec":{"containers":[{"name":"a","securityContext":{"runAsNonRoot":false},"ports":[1,2]}],"hostPID":true}}`
	b, err := newPatchBuilder([]byte(obj))
	if err != nil {
		t.Fatal(err)
	}
	c := scanner.Path{"spec", "containers", "[0]"}
	// An earlier, kept change.
	if err := b.set(c.Key("imagePullPolicy"), "Always"); err != nil {
		t.Fatal(err)
	}
	want := clone(b.doc)
	b.track()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.set(c.Key("securityContext").Key("capabilities").Key("drop"), []any{"ALL"}))
	must(b.appendTo(c.Key("securityContext").Key("capabilities").Key("drop"), "NET_RAW"))
	must(b.set(c.Key("securityContext").Key("runAsNonRoot"), true))
	must(b.set(c.Key("ports").Index(1), 3.0))
	must(b.appendTo(c.Key("ports"), 4.0))
	b.remove(c.Key("ports").Index(0))
	b.remove(scanner.Path{"spec", "hostPID"})
	must(b.set(scanner.Path{"spec", "securityContext", "seccompProfile", "type"}, "RuntimeDefault"))
	b.rollback()
	if !reflect.DeepEqual(b.doc, want) {
		t.Errorf("after rollback:\n%v\nwant\n%v", b.doc, want)
	}
	// Tracking has stopped: later changes stay.
	must(b.set(scanner.Path{"spec", "hostPID"}, false))
	if v, _ := b.get(scanner.Path{"spec", "hostPID"}); v != false {
		t.Errorf("hostPID = %v after a change outside tracking", v)
	}
}
