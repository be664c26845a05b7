package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// privilegedPod fails privileged (and more) at line 9.
const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext: {privileged: true}
`

// gitRepo makes a temporary repository (a real `git init`) holding files
// (slash paths to contents) and returns its folder.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Issue 17 §1: config typos are errors naming the file and line, exit 2;
// .remedy.yml is read; the config is found from the scanned path upward.
func TestScanConfigFound(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		scan     string // repository-relative
		wantCode int
		// wantStderr is part of the error; wantPrivileged says whether the
		// privileged finding is reported.
		wantStderr     string
		wantPrivileged bool
	}{
		{
			name:     "config of a parent folder applies",
			files:    map[string]string{"examples/shop/.remedy.yaml": "controls:\n  disable: [privileged]\n", "examples/shop/apps/web.yaml": privilegedPod},
			scan:     "examples/shop/apps",
			wantCode: exitFindings,
		},
		{
			name:     ".remedy.yml is read",
			files:    map[string]string{".remedy.yml": "controls:\n  disable: [privileged]\n", "apps/web.yaml": privilegedPod},
			scan:     "apps",
			wantCode: exitFindings,
		},
		{
			name:       "both names are an error",
			files:      map[string]string{".remedy.yml": "", ".remedy.yaml": "", "apps/web.yaml": privilegedPod},
			scan:       "apps",
			wantCode:   exitError,
			wantStderr: "both .remedy.yaml and .remedy.yml are present",
		},
		{
			name:       "unknown control in enable",
			files:      map[string]string{"examples/shop/.remedy.yaml": "controls: {enable: [privlieged]}\n", "examples/shop/apps/web.yaml": privilegedPod},
			scan:       "examples/shop/apps",
			wantCode:   exitError,
			wantStderr: `.remedy.yaml:1: controls.enable: unknown control "privlieged" (remedy controls lists them); did you mean "privileged"?`,
		},
		{
			name:       "unknown control in disable",
			files:      map[string]string{".remedy.yaml": "severity: low\ncontrols:\n  disable: [livenes-probe]\n", "web.yaml": privilegedPod},
			scan:       ".",
			wantCode:   exitError,
			wantStderr: `.remedy.yaml:3: controls.disable: unknown control "livenes-probe"`,
		},
		{
			name:           "unknown control in an ignore comment",
			files:          map[string]string{"apps/web.yaml": strings.Replace(privilegedPod, "{privileged: true}", "{privileged: true} # remedy:ignore read-only-rootfs writes to /tmp", 1)},
			scan:           "apps",
			wantCode:       exitError,
			wantStderr:     `apps/web.yaml:9: remedy:ignore: unknown control "read-only-rootfs"`,
			wantPrivileged: true,
		},
		{
			name:           "no config",
			files:          map[string]string{"apps/web.yaml": privilegedPod},
			scan:           "apps",
			wantCode:       exitFindings,
			wantPrivileged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := gitRepo(t, tt.files)
			r := runCLI(t, "", "scan", filepath.Join(repo, filepath.FromSlash(tt.scan)), "-o", "json")
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tt.wantCode, r.stderr)
			}
			rep := ""
			if r.stdout != "" {
				for _, e := range decodeReport(t, []byte(r.stdout)).Errors {
					rep += e.Error() + "\n"
				}
			}
			if tt.wantStderr != "" && !strings.Contains(r.stderr+rep, tt.wantStderr) {
				t.Errorf("output does not say %q:\nstderr: %s\nstdout: %s", tt.wantStderr, r.stderr, r.stdout)
			}
			if tt.wantCode == exitError && r.stdout == "" {
				return
			}
			var got []string
			for _, f := range decodeReport(t, []byte(r.stdout)).Findings {
				got = append(got, f.Control)
			}
			if slices.Contains(got, "privileged") != tt.wantPrivileged {
				t.Errorf("findings %v: privileged reported %v, want %v", got, !tt.wantPrivileged, tt.wantPrivileged)
			}
		})
	}
}

// Issue 17 §1: PATHs under different configs are not scanned with one of
// them silently.
func TestScanPathsUnderDifferentConfigs(t *testing.T) {
	repo := gitRepo(t, map[string]string{"a/.remedy.yaml": "", "a/web.yaml": privilegedPod, "b/web.yaml": privilegedPod})
	r := runCLI(t, "", "scan", filepath.Join(repo, "a"), filepath.Join(repo, "b"))
	if r.code != exitError || !strings.Contains(r.stderr, "different configs") {
		t.Errorf("exit %d, stderr %s; want exit 2 naming the configs", r.code, r.stderr)
	}
}

// Issue 17 §2: every path is relative to the repository root, whichever
// PATHs are scanned, and SARIF binds SRCROOT to it.
func TestScanPathsRelativeToRepositoryRoot(t *testing.T) {
	repo := gitRepo(t, map[string]string{"a/rbac/pod.yaml": privilegedPod, "a/apps/web/pod.yaml": privilegedPod, "deploy/apps/x.yaml": privilegedPod})
	r := runCLI(t, "", "scan", filepath.Join(repo, "a/rbac"), filepath.Join(repo, "a/apps/web"), "-o", "json")
	files := map[string]bool{}
	for _, f := range decodeReport(t, []byte(r.stdout)).Findings {
		files[f.File] = true
	}
	if len(files) != 2 || !files["a/rbac/pod.yaml"] || !files["a/apps/web/pod.yaml"] {
		t.Errorf("files %v, want a/rbac/pod.yaml and a/apps/web/pod.yaml", files)
	}

	// From inside the repository, with a relative PATH.
	t.Chdir(filepath.Join(repo, "deploy"))
	r = runCLI(t, "", "scan", ".", "-o", "sarif")
	var log struct {
		Runs []struct {
			OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
			Results            []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("SARIF: %v\n%s", err, r.stdout)
	}
	run := log.Runs[0]
	loc := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation
	if loc.URI != "deploy/apps/x.yaml" {
		t.Errorf("uri %q, want deploy/apps/x.yaml", loc.URI)
	}
	real, _ := filepath.EvalSymlinks(repo)
	base, ok := run.OriginalURIBaseIDs[loc.URIBaseID]
	if !ok || (base.URI != "file://"+filepath.ToSlash(repo)+"/" && base.URI != "file://"+filepath.ToSlash(real)+"/") {
		t.Errorf("originalUriBaseIds %v, want %s bound to file://%s/", run.OriginalURIBaseIDs, loc.URIBaseID, repo)
	}
}

// Issue 17 §1: an accepted risk expires. `until=YYYY-MM-DD` suppresses
// through that day; the table lists the suppressions that end within 30
// days, and those that ended, whose findings fail the scan again.
func TestScanIgnoreUntil(t *testing.T) {
	pod := strings.Replace(privilegedPod, "{privileged: true}", "{privileged: true} # remedy:ignore privileged until=2027-01-31 a lab pod, SEC-12", 1)
	repo := gitRepo(t, map[string]string{"web.yaml": pod})
	tests := []struct {
		today      string
		wantCode   int
		wantOutput string
	}{
		{"2026-11-01", exitOK, "(suppressed until 2027-01-31: a lab pod, SEC-12)"},
		{"2027-01-10", exitOK, "web.yaml:9 privileged: expires on 2027-01-31 (a lab pod, SEC-12)"},
		{"2027-02-01", exitFindings, "web.yaml:9 privileged: expired on 2027-01-31, active again (a lab pod, SEC-12)"},
	}
	for _, tt := range tests {
		t.Run(tt.today, func(t *testing.T) {
			day, _ := time.Parse(time.DateOnly, tt.today)
			var stdout, stderr bytes.Buffer
			inv := newInvocation(strings.NewReader(""), &stdout, &stderr)
			inv.now = func() time.Time { return day }
			code := inv.execute(context.Background(), []string{"scan", repo, "--fail-on", "high"})
			if !strings.Contains(stdout.String(), tt.wantOutput) {
				t.Errorf("output does not say %q:\n%s", tt.wantOutput, stdout.String())
			}
			// Only the expired suppression lets the high finding fail the scan.
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, stderr.String())
			}
			if tt.today == "2026-11-01" && strings.Contains(stdout.String(), "Suppressions") {
				t.Errorf("nothing expires within 30 days:\n%s", stdout.String())
			}
		})
	}
}

// Outside git, paths are relative to the working directory when every
// PATH is under it, and the config is looked up no higher than the first
// PATH's folder.
func TestScanPathsRelativeToWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"a/rbac/pod.yaml": privilegedPod, "a/apps/web/pod.yaml": privilegedPod, ".remedy.yaml": "controls: {disable: [privileged]}\n"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	r := runCLI(t, "", "scan", "a/rbac", "a/apps/web", "-o", "json")
	files := map[string]bool{}
	privileged := false
	for _, f := range decodeReport(t, []byte(r.stdout)).Findings {
		files[f.File] = true
		privileged = privileged || f.Control == "privileged"
	}
	if len(files) != 2 || !files["a/rbac/pod.yaml"] || !files["a/apps/web/pod.yaml"] {
		t.Errorf("files %v, want a/rbac/pod.yaml and a/apps/web/pod.yaml", files)
	}
	if !privileged {
		t.Error("the config above the first PATH's folder applied outside a repository")
	}
}

// Issue 17 §3: the summary counts the manifests read (the files a
// Kustomize build read, not its output as one file), not .remedy.yaml.
func TestScanSummaryCountsManifests(t *testing.T) {
	repo := gitRepo(t, map[string]string{
		".remedy.yaml":            "severity: low\n",
		"plain/pod.yaml":          privilegedPod,
		"kust/kustomization.yaml": "resources: [pod.yaml, sa.yaml]\n",
		"kust/pod.yaml":           privilegedPod,
		"kust/sa.yaml":            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n",
	})
	r := runCLI(t, "", "scan", repo)
	if !strings.Contains(r.stdout, " in 4 files\n") {
		t.Errorf("want the summary to count 4 files (pod.yaml, kustomization.yaml and its two resources):\n%s", r.stdout)
	}
}
