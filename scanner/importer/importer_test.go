package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

func TestEveryMappedControlIsInTheCatalog(t *testing.T) {
	cat := scanner.DefaultCatalog()
	for tool, table := range map[string]map[string]string{"kubescape": kubescapeControls, "polaris": polarisControls, "trivy": trivyControls} {
		for id, c := range table {
			if cat.Get(c) == nil {
				t.Errorf("%s %s maps to %q, which is not a control of the catalog", tool, id, c)
			}
		}
	}
}

// summary is one finding as the tests compare it.
func summary(f Finding) string {
	fix, _ := json.Marshal(f.Fix)
	if f.Fix == nil {
		fix = nil
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s→%s %s %s/%s/%s c=%s %s:%d %s %s", f.Tool, f.RuleID, f.Control, f.Severity,
		f.Kind, f.Namespace, f.Name, f.Container, f.File, f.Line, f.Path, fix))
}

func TestParse(t *testing.T) {
	tests := []struct {
		format, file string
		want         []string
	}{
		{FormatKubescape, "kubescape.json", []string{
			`kubescape C-0017→read-only-root-filesystem low Deployment/shop/web c= manifests/web.yaml:0 spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem [{"op":"add","path":"/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem","value":true}]`,
			`kubescape C-0016→no-privilege-escalation high Deployment/shop/web c= manifests/web.yaml:0 spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation [{"op":"add","path":"/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation","value":false}]`,
			`kubescape C-0260→ medium Deployment/shop/web c= manifests/web.yaml:0 metadata`,
			`kubescape C-0099→ low Service/shop/web c= :0 spec.type`,
		}},
		{FormatPolaris, "polaris.json", []string{
			`polaris cpuLimitsMissing→resource-limits high Deployment/shop/web c=web :0`,
			`polaris notReadOnlyRootFilesystem→read-only-root-filesystem medium Deployment/shop/web c=web :0`,
		}},
		{FormatTrivyOperator, "trivy.yaml", []string{
			`trivy-operator KSV014→read-only-root-filesystem high ReplicaSet/shop/web-6d4f8c9b7 c=web :0`,
			`trivy-operator KSV0125→ medium ReplicaSet/shop/web-6d4f8c9b7 c= :0`,
		}},
		{FormatSARIF, "sarif.json", []string{
			`sarif KSV001→no-privilege-escalation high // c= /work/repo/manifests/web.yaml:15  [{"op":"add","path":"/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation","value":false}]`,
			`sarif service-node-port→service-node-port low // c= manifests/web.yaml:23`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Parse(tt.format, b)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, summary(f))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Parse:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseRejectsBadInput(t *testing.T) {
	for _, format := range Formats() {
		if _, err := Parse(format, []byte("{not json")); err == nil {
			t.Errorf("Parse(%s, garbage): want an error", format)
		}
	}
	if _, err := Parse("snyk", []byte("{}")); err == nil || !strings.Contains(err.Error(), "kubescape") {
		t.Errorf("unknown format: %v, want an error listing the formats", err)
	}
}

func TestLocate(t *testing.T) {
	in := scanner.Load("testdata/manifests", []string{"testdata/manifests"}, scanner.LoadOptions{})
	if len(in.Errors) > 0 {
		t.Fatal(in.Errors)
	}
	var all []Finding
	for format, file := range map[string]string{FormatKubescape: "kubescape.json", FormatSARIF: "sarif.json"} {
		b, _ := os.ReadFile("testdata/" + file)
		fs, err := Parse(format, b)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fs...)
	}
	got := map[string]string{}
	for _, l := range Locate(in, all) {
		ops, _ := json.Marshal(l.Ops)
		if l.Ops == nil {
			ops = nil
		}
		got[l.Tool+" "+l.RuleID] = fmt.Sprintf("%s %s:%d:%d c=%s %s %s%s", l.ID(), l.File, l.Line, l.Column, l.Container, ops, l.NotFixable, l.NotFound)
	}
	want := map[string]string{
		// A missing field: the nearest line written, its securityContext.
		"kubescape C-0017": `Deployment/shop/web web.yaml:17:11 c=web [{"op":"add","path":"/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem","value":true}] `,
		"kubescape C-0016": `Deployment/shop/web web.yaml:17:11 c=web [{"op":"add","path":"/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation","value":false}] `,
		"kubescape C-0260": `Deployment/shop/web web.yaml:4:1 c=  `,
		// Written without a namespace: the only Service web; the report's namespace stays.
		"kubescape C-0099": `Service/shop/web web.yaml:25:3 c=  `,
		// By file and line: the document holding line 15, the Deployment.
		"sarif KSV001":            `Deployment/shop/web web.yaml:4:1 c= [{"op":"add","path":"/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation","value":false}] `,
		"sarif service-node-port": `Service/web web.yaml:22:1 c=  `,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
}

func TestDocumentOpsCreatesMissingParents(t *testing.T) {
	src := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: c\n      image: x\n"
	sf, errs := scanner.ParseFile("l.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := sf.Docs[0].Resources()[0]
	tests := []struct {
		fix  []Op
		want string
	}{
		{[]Op{{Op: "add", Path: "/spec/containers/0/securityContext/runAsNonRoot", Value: true}},
			`[{"op":"add","path":"/items/0/spec/containers/0/securityContext","value":{"runAsNonRoot":true}}]`},
		{[]Op{{Op: "add", Path: "/spec/containers/0/image", Value: "y"}},
			`[{"op":"replace","path":"/items/0/spec/containers/0/image","value":"y"}]`},
		{[]Op{{Op: "remove", Path: "/spec/containers/0/image"}},
			`[{"op":"remove","path":"/items/0/spec/containers/0/image"}]`},
		{[]Op{{Op: "add", Path: "/spec/containers/3/image", Value: "y"}}, `no item 3`},
		{[]Op{{Op: "add", Path: "/spec/containers/0/image/tag", Value: "y"}}, `goes through the scalar`},
		{[]Op{{Op: "move", Path: "/spec"}}, `not supported`},
	}
	for _, tt := range tests {
		ops, reason := documentOps(r, tt.fix)
		got := reason
		if reason == "" {
			b, _ := json.Marshal(ops)
			got = string(b)
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("documentOps(%v) = %s, want %s", tt.fix, got, tt.want)
		}
	}
}

func TestPointer(t *testing.T) {
	for in, want := range map[string]string{
		"spec.template.spec.containers[0].securityContext": "/spec/template/spec/containers/0/securityContext",
		"metadata.annotations[a/b]":                        "/metadata/annotations/a~1b",
		"spec":                                             "/spec",
	} {
		if got := pointer(in); got != want {
			t.Errorf("pointer(%q) = %q, want %q", in, got, want)
		}
	}
}
