package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// pagedGetter serves list pages of recorded JSON items, pageSize at a
// time, with continue tokens; paths missing from items fail as forbidden.
type pagedGetter struct {
	items map[string][]string
	calls []string
}

func (g *pagedGetter) Get(_ context.Context, path string, params map[string]string) ([]byte, error) {
	g.calls = append(g.calls, path+"?continue="+params["continue"])
	items, ok := g.items[path]
	if !ok {
		return nil, errors.New("forbidden")
	}
	var limit, start int
	fmt.Sscan(params["limit"], &limit)
	fmt.Sscan(params["continue"], &start)
	end := min(start+limit, len(items))
	cont := ""
	if end < len(items) {
		cont = fmt.Sprint(end)
	}
	return []byte(fmt.Sprintf(`{"metadata":{"continue":%q},"items":[%s]}`, cont, strings.Join(items[start:end], ","))), nil
}

func obj(name, ns, uid, owner string, extra string) string {
	refs := ""
	if owner != "" {
		refs = fmt.Sprintf(`,"ownerReferences":[{"apiVersion":"apps/v1","kind":"X","name":"o","uid":%q,"controller":true}]`, owner)
	}
	return fmt.Sprintf(`{"metadata":{"name":%q,"namespace":%q,"uid":%q%s}%s}`, name, ns, uid, refs, extra)
}

const privileged = `,"spec":{"containers":[{"name":"c","image":"x@sha256:` +
	`0000000000000000000000000000000000000000000000000000000000000000","securityContext":{"privileged":true}}]}`

func TestLoad(t *testing.T) {
	g := &pagedGetter{items: map[string][]string{
		"/apis/apps/v1/deployments": {obj("web", "shop", "d1", "", `,"spec":{"template":{"spec":`+strings.TrimPrefix(privileged, `,"spec":`)+`}}`)},
		"/apis/apps/v1/replicasets": {obj("web-1", "shop", "rs1", "d1", ""), obj("web-0", "shop", "rs0", "d1", "")},
		"/api/v1/pods": {
			obj("web-1-a", "shop", "p1", "rs1", privileged),
			obj("web-1-b", "shop", "p2", "rs1", privileged),
			obj("bare", "shop", "p3", "", privileged),
			obj("orphan", "shop", "p4", "gone", privileged), // controller not listed: reported
		},
		"/apis/rbac.authorization.k8s.io/v1/clusterroles": {
			`{"metadata":{"name":"cluster-admin","uid":"cr1","labels":{"kubernetes.io/bootstrapping":"rbac-defaults"}},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`,
			`{"metadata":{"name":"mine","uid":"cr2"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}`,
		},
	}}
	// services are served by no path: an error entry.
	snap, err := Scan(context.Background(), g, Options{PageSize: 1}, scanner.Options{Only: []string{"privileged"}})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, o := range snap.Objects {
		files = append(files, o.File)
	}
	want := []string{
		"cluster/ClusterRole/mine",
		"cluster/shop/Deployment/web",
		"cluster/shop/Pod/bare",
		"cluster/shop/Pod/orphan",
	}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files = %q, want %q", files, want)
	}
	if snap.Collapsed != 4 {
		t.Errorf("Collapsed = %d, want 4 (two ReplicaSets, two Pods)", snap.Collapsed)
	}
	if o := snap.ObjectByFile("cluster/shop/Deployment/web"); o == nil || o.Collapsed != 4 || o.UID != "d1" || o.Group() != "apps" {
		t.Errorf("Deployment object = %+v, want 4 collapsed into it", o)
	}
	if len(snap.Report.Skipped) != 1 || snap.Report.Skipped[0].File != "cluster/ClusterRole/cluster-admin" {
		t.Errorf("Skipped = %+v, want the bootstrap ClusterRole", snap.Report.Skipped)
	}
	// Every kind without a path is an error entry naming it.
	if len(snap.Report.Errors) != len(Kinds())-4 {
		t.Errorf("Errors = %d, want %d", len(snap.Report.Errors), len(Kinds())-4)
	}
	// Pagination: four pods at page size 1 take four calls.
	pages := 0
	for _, c := range g.calls {
		if strings.HasPrefix(c, "/api/v1/pods?") {
			pages++
		}
	}
	if pages != 4 {
		t.Errorf("pod list calls = %d, want 4: %q", pages, g.calls)
	}

	// Findings point at lines of the rendering that hold the offending field.
	got := map[string]string{}
	for _, f := range snap.Report.Findings {
		lines := strings.Split(string(snap.ObjectByFile(f.File).YAML), "\n")
		got[f.File] = fmt.Sprintf("%d:%s", f.Line, strings.TrimSpace(lines[f.Line-1]))
	}
	wantFindings := map[string]string{
		"cluster/shop/Deployment/web": "13:privileged: true",
		"cluster/shop/Pod/bare":       "11:privileged: true",
		"cluster/shop/Pod/orphan":     "11:privileged: true",
	}
	if fmt.Sprint(got) != fmt.Sprint(wantFindings) {
		t.Errorf("findings = %v, want %v", got, wantFindings)
	}
}

func TestLoadNamespaceLeavesOutClusterScope(t *testing.T) {
	g := &pagedGetter{items: map[string][]string{}}
	_, err := Scan(context.Background(), g, Options{Namespace: "shop"}, scanner.Options{})
	if err == nil {
		t.Fatal("Load with every kind failing: want an error")
	}
	for _, c := range g.calls {
		if !strings.Contains(c, "/namespaces/shop/") {
			t.Errorf("call %s outside namespace shop", c)
		}
	}
}
