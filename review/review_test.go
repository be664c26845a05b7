package review

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
)

// addedPatch is GitHub's patch of a new file.
func addedPatch(content string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(content, "\n"), "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "@@ -0,0 +1,%d @@\n", len(lines))
	for _, l := range lines {
		b.WriteString("+" + strings.TrimSuffix(l, "\n") + "\n")
	}
	return b.String()
}

func scanFile(t *testing.T, path string, content []byte, cfg *config.Config) []scanner.Finding {
	t.Helper()
	sf, errs := scanner.ParseFile(path, content)
	if len(errs) > 0 {
		t.Fatalf("%s does not parse: %v\n%s", path, errs, content)
	}
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{sf}}, scanner.Options{Config: cfg})
	var out []scanner.Finding
	for _, f := range rep.Findings {
		if !f.Suppressed {
			out = append(out, f)
		}
	}
	return out
}

func fingerprints(fs []scanner.Finding) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		out[f.Fingerprint()] = true
	}
	return out
}

func mustConfig(t *testing.T, s string) *config.Config {
	t.Helper()
	c, err := config.Parse(config.FileName, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSuggestionsFixNewFile reviews a real manifest added by a pull
// request: every fixable finding gets a suggestion, the suggestions do
// not overlap, and applying them all leaves no fixable finding.
func TestSuggestionsFixNewFile(t *testing.T) {
	head, err := os.ReadFile("../examples/shop/apps/web/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustConfig(t, "defaults:\n  resources:\n    requests: {cpu: 100m, memory: 128Mi}\n    limits: {cpu: 500m, memory: 256Mi}\n")
	f := File{Path: "apps/web/deployment.yaml", Head: head, Patch: addedPatch(string(head))}
	res := Build([]File{f}, Options{Config: cfg, FailOn: scanner.SeverityHigh})
	before := scanFile(t, f.Path, head, cfg)
	if len(res.New) != len(before) || len(res.New) == 0 {
		t.Fatalf("%d new findings, the file has %d", len(res.New), len(before))
	}
	if len(res.Unplaced) != 0 {
		t.Errorf("a new file shows every line, yet %d comments are unplaced", len(res.Unplaced))
	}
	suggestions := 0
	for i, c := range res.Comments {
		if c.HasSuggestion {
			suggestions++
			if !strings.Contains(c.Body, "```suggestion\n"+c.Suggestion+"\n```") {
				t.Errorf("comment %d body lacks its suggestion block:\n%s", i, c.Body)
			}
		}
		for _, d := range res.Comments[i+1:] {
			if c.HasSuggestion && d.HasSuggestion && c.Path == d.Path && d.StartLine <= c.Line && c.StartLine <= d.Line {
				t.Errorf("suggestions overlap: %d-%d and %d-%d", c.StartLine, c.Line, d.StartLine, d.Line)
			}
		}
	}
	if suggestions == 0 {
		t.Fatal("no suggestion")
	}
	fixed := Apply(head, res.Comments)
	after := scanFile(t, f.Path, fixed, cfg)
	claimedFP := map[string]bool{}
	for _, c := range res.Comments {
		if c.HasSuggestion {
			for _, fd := range c.Findings {
				claimedFP[fd.Fingerprint()] = true
			}
		}
	}
	for _, fd := range after {
		if claimedFP[fd.Fingerprint()] {
			t.Errorf("after the suggestions: still %s at line %d: %s", fd.Control, fd.Line, fd.Message)
		}
	}
	// What is left is what no suggestion claimed to fix.
	claimed := 0
	for _, c := range res.Comments {
		if c.HasSuggestion {
			claimed += len(c.Findings)
		}
	}
	if len(after) != len(before)-claimed {
		t.Errorf("%d findings before, %d claimed fixed, %d after", len(before), claimed, len(after))
	}
	t.Logf("%d findings, %d suggestions, %d findings left (not fixable); body:\n%s", len(before), suggestions, len(after), res.Body("0123456789abcdef", scanner.SeverityHigh))
}

// The base of the modified-file cases: hardened but for privileged.
const hardened = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          imagePullPolicy: Always
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
`

func TestOnlyNewFindingsOnShownLines(t *testing.T) {
	cfg := &config.Config{}
	tests := []struct {
		name string
		// base and head are the file's contents; patch is GitHub's.
		base, head, patch string
		wantComments      []string // "control@line[+suggestion]"
		wantUnplaced      []string // controls
		wantFailing       int
	}{
		{
			name: "the change turns read-only off",
			base: hardened,
			head: strings.Replace(hardened, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1),
			patch: "@@ -17,7 +17,7 @@ spec:\n           imagePullPolicy: Always\n           securityContext:\n             allowPrivilegeEscalation: false\n" +
				"-            readOnlyRootFilesystem: true\n+            readOnlyRootFilesystem: false\n             capabilities:\n               drop: [ALL]\n           resources:\n",
			wantComments: []string{"read-only-root-filesystem@20+"},
		},
		{
			name:         "a pre-existing finding is not the pull request's",
			base:         strings.Replace(hardened, "imagePullPolicy: Always", "imagePullPolicy: IfNotPresent", 1),
			head:         strings.Replace(strings.Replace(hardened, "imagePullPolicy: Always", "imagePullPolicy: IfNotPresent", 1), "automountServiceAccountToken: false", "automountServiceAccountToken: true", 1),
			patch:        "@@ -8,3 +8,3 @@ spec:\n     spec:\n-      automountServiceAccountToken: false\n+      automountServiceAccountToken: true\n       securityContext:\n",
			wantComments: []string{"automount-service-account-token@9+"},
		},
		{
			name: "a fix next to the change is shown by its context lines",
			base: hardened,
			// Dropping the seccomp profile is reported at the pod's
			// securityContext (line 10, outside the hunk); the fix goes
			// after line 11, inside it.
			head:         strings.Replace(hardened, "        seccompProfile:\n          type: RuntimeDefault\n", "", 1),
			patch:        "@@ -11,4 +11,2 @@ spec:\n         runAsNonRoot: true\n-        seccompProfile:\n-          type: RuntimeDefault\n       containers:\n",
			wantComments: []string{"seccomp-profile@11+"},
		},
		{
			name:         "a new finding on a line the diff does not show",
			base:         hardened,
			head:         strings.Replace(hardened, "        seccompProfile:\n          type: RuntimeDefault\n", "", 1),
			patch:        "@@ -12,2 +11,0 @@ spec:\n-        seccompProfile:\n-          type: RuntimeDefault\n",
			wantUnplaced: []string{"seccomp-profile"},
		},
		{
			name:         "a report-only finding gets a comment without a suggestion",
			base:         hardened,
			head:         strings.Replace(hardened, "image: ghcr.io/acme/api:1.4.2", "image: ghcr.io/acme/api:latest", 1),
			patch:        "@@ -15,3 +15,3 @@ spec:\n         - name: api\n-          image: ghcr.io/acme/api:1.4.2\n+          image: ghcr.io/acme/api:latest\n           imagePullPolicy: Always\n",
			wantComments: []string{"image-tag@16"},
		},
		{
			name:         "privileged fails the check at high",
			base:         hardened,
			head:         strings.Replace(hardened, "            allowPrivilegeEscalation: false\n", "            allowPrivilegeEscalation: false\n            privileged: true\n", 1),
			patch:        "@@ -18,3 +18,4 @@ spec:\n           securityContext:\n             allowPrivilegeEscalation: false\n+            privileged: true\n             readOnlyRootFilesystem: true\n",
			wantComments: []string{"privileged@20+"},
			wantFailing:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := fingerprints(scanFile(t, "deploy/api.yaml", []byte(tt.base), cfg))
			res := Build([]File{{Path: "deploy/api.yaml", Head: []byte(tt.head), Patch: tt.patch}}, Options{Config: cfg, Baseline: base, FailOn: scanner.SeverityHigh})
			var got, unplaced []string
			for _, c := range res.Comments {
				for _, f := range c.Findings {
					s := fmt.Sprintf("%s@%d", f.Control, c.Line)
					if c.HasSuggestion {
						s += "+"
					}
					got = append(got, s)
				}
			}
			for _, c := range res.Unplaced {
				for _, f := range c.Findings {
					unplaced = append(unplaced, f.Control)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantComments) || fmt.Sprint(unplaced) != fmt.Sprint(tt.wantUnplaced) || res.Failing != tt.wantFailing {
				t.Errorf("comments %v unplaced %v failing %d; want %v, %v, %d", got, unplaced, res.Failing, tt.wantComments, tt.wantUnplaced, tt.wantFailing)
			}
			fixed := Apply([]byte(tt.head), res.Comments)
			for _, f := range scanFile(t, "deploy/api.yaml", fixed, cfg) {
				if !base[f.Fingerprint()] && f.Fixable && len(tt.wantUnplaced) == 0 {
					t.Errorf("after the suggestions, still new: %s line %d", f.Control, f.Line)
				}
			}
			body := res.Body("abc1234def", scanner.SeverityHigh)
			if !strings.HasSuffix(body, Marker+"\n") || !strings.Contains(body, "(as of abc1234)") {
				t.Errorf("body without marker or commit:\n%s", body)
			}
			if fails := strings.Contains(body, "fails the `remedy` check"); fails != (tt.wantFailing == 1) {
				t.Errorf("body says it fails: %v, want %v:\n%s", fails, tt.wantFailing == 1, body)
			}
		})
	}
}

func TestChangesOf(t *testing.T) {
	tests := []struct {
		name, before, after string
		want                []change
	}{
		{"insertion takes the line before", "a\nb\nc\n", "a\nb\nx\nc\n", []change{{1, 2, "b\nx"}}},
		{"insertion at the top takes the line after", "a\nb\n", "x\na\nb\n", []change{{0, 1, "x\na"}}},
		{"replacement", "a\nb\nc\n", "a\nB\nc\n", []change{{1, 2, "B"}}},
		{"deletion", "a\nb\nc\n", "a\nc\n", []change{{1, 2, ""}}},
		{"touching changes merge", "a\nb\nc\n", "a\nB\nx\nc\n", []change{{1, 2, "B\nx"}}},
		{"distant changes stay apart", "a\nb\nc\nd\ne\n", "A\nb\nc\nd\nE\n", []change{{0, 1, "A"}, {4, 5, "E"}}},
		{"no final newline", "a\nb", "a\nb\nc", []change{{1, 2, "b\nc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := changesOf([]byte(tt.before), []byte(tt.after))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			var cs []Comment
			for _, c := range got {
				cs = append(cs, Comment{StartLine: c.start + 1, Line: c.end, Suggestion: c.text, HasSuggestion: true})
			}
			if out := string(Apply([]byte(tt.before), cs)); out != tt.after && tt.name != "deletion" {
				t.Errorf("applied: %q, want %q", out, tt.after)
			}
		})
	}
}

// TestBudgets: the changed files are bounded together, as a scan's load:
// past a budget a file is an error of the review, and not reviewed.
func TestBudgets(t *testing.T) {
	head, err := os.ReadFile("../examples/shop/apps/web/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	two := string(head) + "---\n" + strings.Replace(string(head), "name: web", "name: web2", 1)
	files := []File{
		{Path: "a.yaml", Head: head, Patch: addedPatch(string(head))},
		{Path: "b.yaml", Head: []byte(two), Patch: addedPatch(two)},
	}
	tests := []struct {
		name    string
		budgets scanner.Budgets
		// reviewed are the files with findings; refused the files over
		// a budget, with what the error says.
		reviewed, refused string
	}{
		{"defaults", scanner.Budgets{}, "a.yaml b.yaml", ""},
		{"one document a file", scanner.Budgets{MaxDocuments: 1}, "a.yaml", "b.yaml: file holds 2 YAML documents, over the 1-document budget"},
		{"two objects a review", scanner.Budgets{MaxObjects: 2}, "a.yaml", "b.yaml: 2 objects here would take the run past its 2-object budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Build(files, Options{Config: &config.Config{}, FailOn: scanner.SeverityHigh, Budgets: tt.budgets})
			seen := map[string]bool{}
			var reviewed []string
			for _, f := range res.New {
				if !seen[f.File] {
					seen[f.File] = true
					reviewed = append(reviewed, f.File)
				}
			}
			if got := strings.Join(reviewed, " "); got != tt.reviewed {
				t.Errorf("files with findings %q, want %q", got, tt.reviewed)
			}
			var refused []string
			for _, e := range res.Errors {
				refused = append(refused, e.File+": "+e.Message)
			}
			if got := strings.Join(refused, "; "); (tt.refused == "") != (got == "") || !strings.Contains(got, tt.refused) {
				t.Errorf("errors %q, want %q", got, tt.refused)
			}
		})
	}
}
