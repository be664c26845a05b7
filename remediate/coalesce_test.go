package remediate

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
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
