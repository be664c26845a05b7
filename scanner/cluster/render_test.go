package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name, apiVersion, kind, item, want string
	}{
		{
			name: "server order kept, bookkeeping and status dropped", apiVersion: "apps/v1", kind: "Deployment",
			item: `{"metadata":{"name":"web","namespace":"shop","uid":"u1","resourceVersion":"7","generation":2,` +
				`"creationTimestamp":"2024-01-01T00:00:00Z","managedFields":[{"manager":"kubectl"}],` +
				`"ownerReferences":[{"kind":"X"}],"labels":{"app":"web"}},` +
				`"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}},` +
				`"status":{"replicas":2}}`,
			want: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n    app: web\n" +
				"spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
		},
		{
			name: "strings that look like other types stay strings", apiVersion: "v1", kind: "Pod",
			item: `{"metadata":{"name":"p","annotations":{"a":"true","b":"1000","c":"","d":"null"}},"spec":{"n":1.5,"e":null,"t":true}}`,
			want: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: \"true\"\n    b: \"1000\"\n    c: \"\"\n    d: \"null\"\n" +
				"spec:\n  \"n\": 1.5\n  e: null\n  t: true\n",
		},
		{
			name: "tool annotations dropped, and the map with them when empty", apiVersion: "v1", kind: "Service",
			item: `{"metadata":{"name":"s","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"x\":1}\n"}}}`,
			want: "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
		},
		{
			name: "apiVersion and kind of the item are replaced", apiVersion: "v1", kind: "Pod",
			item: `{"kind":"Other","apiVersion":"x/v9","metadata":{"name":"p"}}`,
			want: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
		},
		{
			name: "indentless sequences as kubectl writes them; multi-line strings quoted", apiVersion: "v1", kind: "Pod",
			item: `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","args":["a\nb\n"]}]}}`,
			want: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    args:\n    - \"a\\nb\\n\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.apiVersion, tt.kind, []byte(tt.item))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Render:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	for _, item := range []string{`[1,2]`, `{"metadata":`, `"x"`, `{"a":1,}`} {
		if b, err := Render("v1", "Pod", []byte(item)); err == nil {
			t.Errorf("Render(%s) = %q, want an error", item, b)
		}
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ kind, ns, name, want string }{
		{"Deployment", "shop", "web", "cluster/shop/Deployment/web"},
		{"ClusterRole", "", "admin", "cluster/ClusterRole/admin"},
	}
	for _, tt := range tests {
		if got := FileName(tt.kind, tt.ns, tt.name); got != tt.want {
			t.Errorf("FileName(%q, %q, %q) = %q, want %q", tt.kind, tt.ns, tt.name, got, tt.want)
		}
	}
}

func TestListPath(t *testing.T) {
	k := Kinds()
	tests := []struct {
		kind Kind
		ns   string
		want string
	}{
		{k[0], "", "/apis/apps/v1/deployments"},
		{k[0], "shop", "/apis/apps/v1/namespaces/shop/deployments"},
		{Kind{Version: "v1", Resource: "pods", Namespaced: true}, "a", "/api/v1/namespaces/a/pods"},
		{Kind{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, "a", "/apis/rbac.authorization.k8s.io/v1/clusterroles"},
	}
	for _, tt := range tests {
		if got := tt.kind.ListPath(tt.ns); got != tt.want {
			t.Errorf("ListPath(%q) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

// TestRenderRoundTrip: whatever the strings, the rendering reads back (with
// the loader every scan uses) as the object the API server sent.
func TestRenderRoundTrip(t *testing.T) {
	tricky := []string{"", " lead", "trail ", "a: b", "a:b", "a #b", "#a", "- x", "-", "@x", "yes", "No", "ON", "y", "~",
		"null", "NULL", "true", "0x1F", "0o17", "017", "1e3", "1_000", ".inf", "-.Inf", ".nan", "+1", "2024-01-01",
		"12:30:00", "é", "tab\t", "{x}", "[x]", "*a", "&a", "!tag", "%x", "`x", "'x'", "\"x\"", "a\nb", "\u2028",
		"\u0001", "?x", "|", ">", "x,y", "key=value", "/path/to:x", "_", "C:\\dir", "a ", "nginx:1.27", "100m"}
	var b strings.Builder
	b.WriteString(`{"metadata":{"name":"p","labels":{`)
	for i, s := range tricky {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(s)
		b.WriteString(fmt.Sprintf(`%s:%s`, k, k))
	}
	b.WriteString(`}},"spec":{"args":[`)
	for i, s := range tricky {
		if i > 0 {
			b.WriteByte(',')
		}
		v, _ := json.Marshal(s)
		b.Write(v)
	}
	b.WriteString(`],"nested":[[1,2],[],{},[{"a":[{"b":{}}]}]],"n":-1.5e3}}`)
	item := b.String()

	out, err := Render("v1", "Pod", []byte(item))
	if err != nil {
		t.Fatal(err)
	}
	sf, errs := scanner.ParseFile("p", out)
	if len(errs) > 0 {
		t.Fatalf("rendering does not parse: %v\n%s", errs, out)
	}
	var got any
	if err := sf.Docs[0].Node.YNode().Decode(&got); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(item), &want); err != nil {
		t.Fatal(err)
	}
	want["apiVersion"], want["kind"] = "v1", "Pod"
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("round trip:\n got %s\nwant %s\nrendering:\n%s", gotJSON, wantJSON, out)
	}
}
