package sourcemap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
)

// scanOne parses and scans one object.
func scanOne(t *testing.T, file, src string) (*scanner.Resource, []scanner.Finding) {
	t.Helper()
	sf, errs := scanner.ParseFile(file, []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{sf}}, scanner.Options{})
	return sf.Docs[0].Resources()[0], rep.Findings
}

func TestDrift(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n  - name: c\n%s"
	tests := []struct {
		name, live, source string
		want               []string // path: live → source
	}{
		{
			name:   "same object",
			live:   "    image: nginx:1.27\n",
			source: "    image: nginx:1.27\n",
		},
		{
			name:   "kubectl edit made it privileged",
			live:   "    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
			source: "    image: nginx:1.27\n    securityContext:\n      privileged: false\n",
			want:   []string{"spec.containers[0].securityContext.privileged: true → false"},
		},
		{
			name:   "privileged added where git says nothing",
			live:   "    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
			source: "    image: nginx:1.27\n",
			want:   []string{"spec.containers[0].securityContext.privileged: true → <nil>"},
		},
		{
			name:   "a default the API server fills in is not drift",
			live:   "    image: nginx:1.27\n    imagePullPolicy: IfNotPresent\n",
			source: "    image: nginx:1.27\n",
		},
		{
			name:   "both fail with different values",
			live:   "    image: nginx:latest\n",
			source: "    image: nginx:1.27\n",
			want:   []string{"spec.containers[0].image: nginx:latest → nginx:1.27"},
		},
		{
			name:   "fixed by hand in the cluster, still failing in git",
			live:   "    image: nginx:1.27\n    securityContext:\n      allowPrivilegeEscalation: false\n",
			source: "    image: nginx:1.27\n    securityContext:\n      allowPrivilegeEscalation: true\n",
			want:   []string{"spec.containers[0].securityContext.allowPrivilegeEscalation: false → true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, lf := scanOne(t, "cluster/shop/Pod/p", fmt.Sprintf(pod, tt.live))
			sr, sf := scanOne(t, "pod.yaml", fmt.Sprintf(pod, tt.source))
			p := &Placed{Object: &cluster.Object{Kind: "Pod", Namespace: "shop", Name: "p"}, Resource: sr, Source: Source{Repo: "r"}}
			var got []string
			for _, d := range drift(p, lr, lf, sf) {
				got = append(got, fmt.Sprintf("%s: %v → %v", d.Path, d.Live, d.Source))
				if d.File != "pod.yaml" || d.Line < 7 {
					t.Errorf("drift at %s:%d, want pod.yaml at the container", d.File, d.Line)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("drift:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
