package gitops

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/remedy-bot/remedy/scanner"
)

func TestParseBotPR(t *testing.T) {
	tests := []struct {
		name     string
		pr       PullRequest
		ok       bool
		fps      []string
		declined bool
	}{
		{"open", PullRequest{State: "open", Body: "x\n\n<!-- remedy:fingerprints aa,bb -->\n"}, true, []string{"aa", "bb"}, false},
		{"closed by a human", PullRequest{State: "closed", Body: "<!-- remedy:fingerprints aa -->"}, true, []string{"aa"}, true},
		{"merged", PullRequest{State: "closed", Merged: true, Body: "<!-- remedy:fingerprints aa -->"}, true, []string{"aa"}, false},
		{"closed by remedy", PullRequest{State: "closed", Body: "<!-- remedy:fingerprints aa -->\n" + obsoleteMarker}, true, []string{"aa"}, false},
		{"a human's PR on the branch", PullRequest{State: "closed", Body: "my own changes"}, false, nil, false},
		{"CRLF body edited on the web", PullRequest{State: "open", Body: "x\r\n\r\n<!-- remedy:fingerprints aa -->\r\n"}, true, []string{"aa"}, false},
	}
	for _, tt := range tests {
		bp, ok := parseBotPR(tt.pr)
		if ok != tt.ok || !slices.Equal(bp.fingerprints, tt.fps) || bp.declined() != tt.declined {
			t.Errorf("%s: ok %v fingerprints %v declined %v; want %v %v %v", tt.name, ok, bp.fingerprints, bp.declined(), tt.ok, tt.fps, tt.declined)
		}
	}
}

func TestWithMarkerKeepsBodiesUnderGitHubsLimit(t *testing.T) {
	found := []scanner.Finding{{Control: "b", File: "x"}, {Control: "a", File: "x"}, {Control: "a", File: "x"}}
	body := withMarker("short body\n\n", found, maxBodyRunes)
	bp, ok := parseBotPR(PullRequest{Body: body})
	if !ok || len(bp.fingerprints) != 2 || !slices.IsSorted(bp.fingerprints) || !strings.HasPrefix(body, "short body\n\n<!--") {
		t.Errorf("marker %v in %q", bp.fingerprints, body)
	}
	long := withMarker(strings.Repeat("é", 70000), found, maxBodyRunes)
	if n := utf8.RuneCountInString(long); n > maxBodyRunes {
		t.Errorf("body of %d runes, limit %d", n, maxBodyRunes)
	}
	if _, ok := parseBotPR(PullRequest{Body: long}); !ok {
		t.Error("the marker was cut off a long body")
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		concurrent, hourly, open, recent int
		want                             string
	}{
		{0, 0, 50, 50, ""},
		{2, 0, 1, 9, ""},
		{2, 0, 2, 0, "prConcurrentLimit"},
		{0, 3, 0, 3, "prHourlyLimit"},
		{0, 3, 0, 2, ""},
	}
	for _, tt := range tests {
		c := &converger{s: Settings{PRConcurrentLimit: tt.concurrent, PRHourlyLimit: tt.hourly}, open: tt.open, recent: tt.recent}
		if got := c.limited(); !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
			t.Errorf("%+v: %q", tt, got)
		}
	}
}

// maxBodyRunes is GitHub's body limit, the strictest forge's.
var maxBodyRunes = DefaultTraits().MaxBodyRunes
