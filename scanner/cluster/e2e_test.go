//go:build e2e

package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/clustertest"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
)

const podSpec = `
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true`

// owned returns a manifest of kind named name, controlled by owner.
func owned(kind, apiVersion, name, ownerKind, ownerName, ownerUID, body string) string {
	return fmt.Sprintf(`apiVersion: %s
kind: %s
metadata:
  name: %s
  namespace: shop
  ownerReferences:
  - {apiVersion: apps/v1, kind: %s, name: %s, uid: %s, controller: true}
%s`, apiVersion, kind, name, ownerKind, ownerName, ownerUID, body)
}

func TestE2EClusterLoad(t *testing.T) {
	env := clustertest.Start(t)
	dep := env.Apply(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:`+podSpec)[0]
	rs := env.Apply(t, owned("ReplicaSet", "apps/v1", "web-5d4f", "Deployment", "web", string(dep.GetUID()), `spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:`+podSpec))[0]
	for i := range 3 {
		env.Apply(t, owned("Pod", "v1", fmt.Sprintf("web-5d4f-%d", i), "ReplicaSet", "web-5d4f", string(rs.GetUID()),
			"spec:"+strings.ReplaceAll(podSpec, "\n    ", "\n")))
	}
	env.Apply(t, `apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:`+strings.ReplaceAll(podSpec, "\n    ", "\n")+`
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec:
  type: NodePort
  ports: [{port: 80}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
`)
	g, err := cluster.NewRESTGetter(env.Config)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		opts          cluster.Options
		wantFiles     []string
		wantCollapsed int
	}{
		{
			name:          "one namespace, paged by two",
			opts:          cluster.Options{Namespace: "shop", PageSize: 2},
			wantFiles:     []string{"cluster/shop/Deployment/web", "cluster/shop/Pod/debug"},
			wantCollapsed: 4,
		},
		{
			name: "every namespace and cluster scope",
			opts: cluster.Options{PageSize: 1},
			wantFiles: []string{"cluster/ClusterRole/everything", "cluster/default/Service/kubernetes",
				"cluster/other/Service/web", "cluster/shop/Deployment/web", "cluster/shop/Pod/debug"},
			wantCollapsed: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := cluster.Scan(context.Background(), g, tt.opts, scanner.Options{Only: []string{"privileged", "service-node-port", "rbac-wildcard"}})
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, o := range snap.Objects {
				files = append(files, o.File)
			}
			if strings.Join(files, " ") != strings.Join(tt.wantFiles, " ") {
				t.Errorf("files = %q, want %q", files, tt.wantFiles)
			}
			if snap.Collapsed != tt.wantCollapsed {
				t.Errorf("collapsed = %d, want %d", snap.Collapsed, tt.wantCollapsed)
			}
			if len(snap.Report.Errors) > 0 {
				t.Errorf("errors: %+v", snap.Report.Errors)
			}
			if tt.opts.Namespace == "" && len(snap.Report.Skipped) == 0 {
				t.Error("no bootstrap RBAC skipped; the API server always creates some")
			}
			rep := snap.Report
			for _, f := range rep.Findings {
				line := strings.TrimSpace(strings.Split(string(snap.ObjectByFile(f.File).YAML), "\n")[f.Line-1])
				want := map[string]string{"privileged": "privileged: true", "service-node-port": "type: NodePort", "rbac-wildcard": `- "*"`}[f.Control]
				if line != want {
					t.Errorf("%s %s:%d is %q, want %q", f.Control, f.File, f.Line, line, want)
				}
			}
			if n := len(rep.Findings); n < 2 {
				t.Errorf("%d findings, want at least the Deployment's and the bare Pod's", n)
			}
		})
	}
}
