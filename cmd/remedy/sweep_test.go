package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
)

func writeSweepConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSweepCommand(t *testing.T) {
	s := forge(t)
	fixable := map[string]string{".remedy.yaml": onlyPrivileged, "deploy/web.yaml": privilegedDeployment}
	s.CreateRepo("acme", "svc-web", fixable)
	s.CreateRepo("acme", "svc-api", fixable)
	s.CreateRepo("acme", "svc-clean", map[string]string{"README.md": "nothing to scan\n"})
	// A broken config fails its repository, and only it.
	s.CreateRepo("acme", "svc-broken", map[string]string{".remedy.yaml": "group: sideways\n", "deploy/web.yaml": privilegedDeployment})
	s.CreateRepo("acme", "svc-legacy", fixable)
	s.CreateRepo("acme", "svc-old", fixable).SetArchived(true)
	s.CreateRepo("acme", "svc-fork", fixable).SetFork(true)
	s.CreateRepo("acme", "website", fixable)
	s.CreateRepo("other", "tool", fixable)
	cfg := writeSweepConfig(t, `repositories:
  - other/tool
owners:
  - name: acme
    include: ["svc-*"]
    exclude: ["*-legacy"]
`)

	r := runCLI(t, "", "sweep", "--config", cfg, "--concurrency", "3", "-o", "json")
	assertNoToken(t, r)
	if r.code != exitError {
		t.Errorf("exit %d, want %d (one repository failed)\nstderr:\n%s", r.code, exitError, r.stderr)
	}
	var rows []sweepRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("JSON summary: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	var names []string
	for _, row := range rows {
		names = append(names, row.Repo)
		got[row.Repo] = row.Status
		for _, b := range row.Branches {
			got[row.Repo] += " " + b.Action
		}
	}
	wantNames := []string{"acme/svc-api", "acme/svc-broken", "acme/svc-clean", "acme/svc-web", "other/tool"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("swept %v, want %v (archived, forks, excluded and unmatched skipped)", names, wantNames)
	}
	want := map[string]string{
		"acme/svc-api": "ok created", "acme/svc-web": "ok created", "other/tool": "ok created",
		"acme/svc-clean": "ok", "acme/svc-broken": "failed",
	}
	for repo, w := range want {
		if got[repo] != w {
			t.Errorf("%s: %q, want %q", repo, got[repo], w)
		}
	}
	for _, repo := range []string{"svc-legacy", "svc-old", "svc-fork", "website"} {
		if n := len(s.PullRequests("acme", repo)); n != 0 {
			t.Errorf("acme/%s got %d pull requests", repo, n)
		}
	}

	// The table, on a second sweep: everything is in line.
	r = runCLI(t, "", "sweep", "--config", cfg)
	if !strings.Contains(r.stdout, "REPOSITORY") || !strings.Contains(r.stdout, "unchanged #1") || !strings.Contains(r.stdout, "5 repositories: 4 ok, 1 failed, 0 skipped") {
		t.Errorf("table:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "group \"sideways\"") {
		t.Errorf("the failed repository's error is not in the table:\n%s", r.stdout)
	}
}

func TestSweepShards(t *testing.T) {
	s := forge(t)
	var all []string
	for i := range 12 {
		name := "r" + strconv.Itoa(i)
		s.CreateRepo("acme", name, map[string]string{"README.md": "x\n"})
		all = append(all, "acme/"+name)
	}
	cfg := writeSweepConfig(t, "owners:\n  - name: acme\n")
	var union []string
	for i := range 3 {
		r := runCLI(t, "", "sweep", "--config", cfg, "--shard-index", strconv.Itoa(i), "--shard-count", "3", "-o", "json")
		var rows []sweepRow
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != exitOK {
			t.Fatalf("shard %d: exit %d, %v\n%s%s", i, r.code, err, r.stdout, r.stderr)
		}
		for _, row := range rows {
			if gitops.Shard(row.Repo, 3) != i {
				t.Errorf("%s in shard %d, hashes to %d", row.Repo, i, gitops.Shard(row.Repo, 3))
			}
			union = append(union, row.Repo)
		}
	}
	slices.Sort(union)
	slices.Sort(all)
	if !slices.Equal(union, all) {
		t.Errorf("shards cover %v, want each of %v once", union, all)
	}
}

func TestShardOfIsStable(t *testing.T) {
	// Pinned values: changing the hash would reshuffle every CI matrix.
	for full, want := range map[string]int{"acme/shop": 0, "ACME/Shop": 0, "acme/web": 2} {
		if got := gitops.Shard(full, 4); got != want {
			t.Errorf("gitops.Shard(%q, 4) = %d, want %d", full, got, want)
		}
	}
}

func TestSweepOwnerSelects(t *testing.T) {
	tests := []struct {
		owner sweepOwner
		repo  gitops.RepoInfo
		want  bool
	}{
		{sweepOwner{}, gitops.RepoInfo{Name: "a"}, true},
		{sweepOwner{}, gitops.RepoInfo{Name: "a", Archived: true}, false},
		{sweepOwner{IncludeArchived: true}, gitops.RepoInfo{Name: "a", Archived: true}, true},
		{sweepOwner{}, gitops.RepoInfo{Name: "a", Fork: true}, false},
		{sweepOwner{IncludeForks: true}, gitops.RepoInfo{Name: "a", Fork: true}, true},
		{sweepOwner{Include: []string{"svc-*"}}, gitops.RepoInfo{Name: "web"}, false},
		{sweepOwner{Include: []string{"svc-*"}, Exclude: []string{"svc-old*"}}, gitops.RepoInfo{Name: "svc-old2"}, false},
		{sweepOwner{Exclude: []string{"docs"}}, gitops.RepoInfo{Name: "svc"}, true},
	}
	for i, tt := range tests {
		if got := tt.owner.selects(tt.repo); got != tt.want {
			t.Errorf("case %d: %v, want %v", i, got, tt.want)
		}
	}
}

func TestSweepUsageErrors(t *testing.T) {
	forge(t)
	good := writeSweepConfig(t, "repositories: [acme/shop]\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"sweep"}, "config"},
		{"missing config", []string{"sweep", "--config", "/nope.yaml"}, "read sweep config"},
		{"unknown key", []string{"sweep", "--config", writeSweepConfig(t, "repos: [a/b]\n")}, "repos"},
		{"empty", []string{"sweep", "--config", writeSweepConfig(t, "")}, "no repositories"},
		{"bad repository", []string{"sweep", "--config", writeSweepConfig(t, "repositories: [shop]\n")}, "OWNER/REPO"},
		{"bad glob", []string{"sweep", "--config", writeSweepConfig(t, "owners: [{name: acme, include: ['[']}]\n")}, "bad glob"},
		{"bad shard", []string{"sweep", "--config", good, "--shard-index", "3", "--shard-count", "3"}, "--shard-index"},
		{"bad concurrency", []string{"sweep", "--config", good, "--concurrency", "0"}, "--concurrency"},
		{"bad format", []string{"sweep", "--config", good, "-o", "xml"}, "--format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d stderr %q; want %d and %q", r.code, r.stderr, exitError, tt.want)
			}
		})
	}
}
