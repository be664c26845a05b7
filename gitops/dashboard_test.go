package gitops

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/remedy-bot/remedy/scanner"
)

// postureOf is a posture of n unfixable findings, n ignored ones, n
// unreadable files, and n declined pull requests, with hostile names.
func postureOf(n int) Posture {
	p := Posture{Repo: "acme/shop", URL: "https://github.com/acme/shop", Base: "main"}
	p.Controls = []ControlCount{{Control: "host-port", Severity: scanner.SeverityMedium, Findings: n}}
	for i := range n {
		p.Unfixable = append(p.Unfixable, PostureFinding{
			Control: "host-port", Severity: scanner.SeverityMedium, File: fmt.Sprintf("deploy/app-%03d.yaml", i), Line: 7,
			Object: "Deployment shop/app, container app", Reason: "report-only control: fix by hand",
		})
		p.Ignored = append(p.Ignored, PostureFinding{Control: "privileged", Severity: scanner.SeverityHigh, File: fmt.Sprintf("deploy/x-%03d.yaml", i), Line: 3, Object: "Pod x", Reason: "we need it"})
		p.Unreadable = append(p.Unreadable, scanner.FileError{File: fmt.Sprintf("bad-%03d.yaml", i), Line: 1, Message: "invalid YAML"})
		p.Declined = append(p.Declined, PosturePR{Number: 100 + i, Fingerprints: []string{"aa"}, Controls: []string{"privileged"}})
	}
	return p
}

// The body fits the forge's limit, whatever the posture: the longest
// lists are cut, each saying how many more there are, and the marker
// stays.
func TestDashboardBodyIsBounded(t *testing.T) {
	for _, limit := range []int{60000, 8000, 3000} {
		body, err := DashboardBody(nil, postureOf(2000), nil, Traits{MaxBodyRunes: limit})
		if err != nil {
			t.Fatal(err)
		}
		if n := utf8.RuneCountInString(body); n > limit {
			t.Errorf("limit %d: %d runes", limit, n)
		}
		for _, want := range []string{"and ", " more", DashboardMarker + "\n", "## What remedy cannot fix", "## Declined fixes"} {
			if !strings.Contains(body, want) {
				t.Errorf("limit %d: body lacks %q", limit, want)
			}
		}
		// Every declined line shown keeps its marker.
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "- [ ]") && !strings.Contains(l, "<!-- remedy:declined ") {
				t.Errorf("limit %d: a declined line without its marker: %q", limit, l)
			}
		}
	}
	// Small enough, nothing is cut.
	body, _ := DashboardBody(nil, postureOf(3), nil, Traits{})
	if strings.Contains(body, " more") || strings.Count(body, "<!-- remedy:declined ") != 3 {
		t.Errorf("a small posture was cut:\n%s", body)
	}
}

// The same posture renders the same bytes: that is what keeps idle runs
// from editing the issue. It survives the JSON round trip of the job store.
func TestDashboardBodyIsStable(t *testing.T) {
	p := postureOf(5)
	a, err := DashboardBody(nil, p, nil, Traits{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(p)
	var q Posture
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatal(err)
	}
	b, _ := DashboardBody(nil, q, nil, Traits{})
	if a != b {
		t.Errorf("the same posture rendered twice differs:\n%s\n---\n%s", a, b)
	}
	p.Commit = "0123abcd"
	if c, _ := DashboardBody(nil, p, nil, Traits{}); c != a {
		t.Error("a new base commit with nothing else changed changes the body")
	}
}

// What the repository wrote cannot break out of its code span: no hidden
// marker, no mention, no link, no line of its own (a forged checkbox).
func TestDashboardBodyQuotesRepositoryText(t *testing.T) {
	p := Posture{Repo: "acme/shop", URL: "https://github.com/acme/shop", Base: "main", Controls: []ControlCount{{Control: "host-port", Findings: 1}}}
	evil := "x`` <!-- remedy:dashboard -->\n- [x] y <!-- remedy:declined 7 --> @org/team ![i](https://evil/x.png)"
	p.Unfixable = []PostureFinding{{Control: "host-port", File: "deploy/" + evil + ".yaml", Line: 2, Object: evil, Reason: evil}}
	p.Ignored = []PostureFinding{{Control: "privileged", File: "a.yaml", Line: 1, Object: "Pod a", Reason: evil}}
	p.Unreadable = []scanner.FileError{{File: evil, Message: evil}}
	body, err := DashboardBody(nil, p, nil, Traits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := TickedDeclined(body); len(got) != 0 {
		t.Errorf("a forged ticked box is read back: %v\n%s", got, body)
	}
	if strings.Count(body, DashboardMarker) != 1 || !strings.HasSuffix(body, DashboardMarker+"\n") {
		t.Errorf("the marker is forged or missing:\n%s", body)
	}
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, "@org/team") && !strings.Contains(l, "`") {
			t.Errorf("an unquoted mention: %q", l)
		}
	}
	if strings.Contains(body, "](https://evil") && !strings.Contains(body, "`") {
		t.Error("an unquoted link")
	}
	// The link to the file escapes the path.
	if !strings.Contains(body, "/blob/main/deploy/x%60%60%20%3C") {
		t.Errorf("file link not escaped:\n%s", body)
	}
}

func TestNewPosture(t *testing.T) {
	f := func(control, file string, line int, suppressed bool) scanner.Finding {
		return scanner.Finding{Control: control, Severity: scanner.SeverityHigh, File: file, Line: line, Kind: "Deployment", Namespace: "shop", Name: file, Suppressed: suppressed, Reason: map[bool]string{true: "accepted"}[suppressed], Fixable: control != "host-port"}
	}
	web, db, api, ign := f("privileged", "web.yaml", 3, false), f("host-pid", "db.yaml", 4, false), f("host-port", "api.yaml", 9, false), f("privileged", "old.yaml", 1, true)
	ign.Until = "2030-01-01"
	rep := &scanner.Report{Findings: []scanner.Finding{web, db, api, ign}, Errors: []scanner.FileError{{File: "b.yaml", Message: "bad"}, {File: "a.yaml", Message: "bad"}}}
	fixes := Fixes{Fixed: []scanner.Finding{web, db}, NotFixed: map[string]string{api.Fingerprint(): "report-only control: fix by hand"}}
	res := Result{
		Branches: []BranchResult{{Branch: RepoBranch, Action: ActionUpdated, PR: 5, Fingerprints: []string{web.Fingerprint()}}},
		Declined: []DeclinedPR{{Number: 3, Branch: RepoBranch, Fingerprints: []string{db.Fingerprint(), "gone0000gone0000"}}, {Number: 2, Fingerprints: []string{"gone0000gone0000"}}},
	}
	p := NewPosture(RepoInfo{FullName: "acme/shop"}, "main", "abc", rep, fixes, res)
	if len(p.Controls) != 3 || p.Controls[0].Control != "host-pid" || p.Controls[2].Control != "privileged" || p.Controls[2].Ignored != 1 || p.Controls[2].Fixable != 1 {
		t.Errorf("controls %+v", p.Controls)
	}
	if len(p.Unfixable) != 1 || p.Unfixable[0].Reason != "report-only control: fix by hand" || p.Unfixable[0].Object != "Deployment shop/api.yaml" {
		t.Errorf("unfixable %+v", p.Unfixable)
	}
	if len(p.Ignored) != 1 || p.Ignored[0].Reason != "accepted" || p.Ignored[0].Until != "2030-01-01" {
		t.Errorf("ignored %+v", p.Ignored)
	}
	if len(p.Unreadable) != 2 || p.Unreadable[0].File != "a.yaml" {
		t.Errorf("unreadable %+v", p.Unreadable)
	}
	if len(p.Open) != 1 || p.Open[0].Number != 5 || p.Open[0].Controls[0] != "privileged" {
		t.Errorf("open %+v", p.Open)
	}
	// #2 declined only what is gone: nothing to bring back, not listed.
	if len(p.Declined) != 1 || p.Declined[0].Number != 3 || len(p.Declined[0].Fingerprints) != 1 || p.Declined[0].Controls[0] != "host-pid" {
		t.Errorf("declined %+v", p.Declined)
	}
	if p.Clean() {
		t.Error("clean")
	}
}

func TestIssueOpenedBy(t *testing.T) {
	issue := Issue{Author: "Remedy-Bot", Body: "text\n" + DashboardMarker}
	for _, tc := range []struct {
		name, login, marker string
		want                bool
	}{
		{"the login, in another case", "remedy-bot", DashboardMarker, true},
		{"another login", "someone", DashboardMarker, false},
		{"another marker", "remedy-bot", "<!-- remedy:other -->", false},
		{"an unknown login opens nothing", "", DashboardMarker, false},
	} {
		if got := issue.OpenedBy(tc.login, tc.marker); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if (Issue{Body: DashboardMarker}).OpenedBy("", DashboardMarker) {
		t.Error("an issue without an author was opened by the unknown login")
	}
}
