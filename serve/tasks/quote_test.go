package tasks

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-github/v89/github"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/serve/chatcommand"
)

var (
	codeRE = regexp.MustCompile(`(?s)<code>.*?</code>`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
)

// rendered renders Markdown as GitHub does (CommonMark, tables), raw HTML
// passed through so that any that escaped a quote shows; text is what is
// left outside code and tags, where GitHub would link a mention.
func rendered(t *testing.T, md string) (html, text string) {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.Table), goldmark.WithRendererOptions(goldhtml.WithUnsafe()))
	var b bytes.Buffer
	if err := gm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String(), tagRE.ReplaceAllString(codeRE.ReplaceAllString(b.String(), ""), "")
}

// TestHostileTextIsQuoted: what a commenter wrote (an ignore reason, a
// command remedy could not read) reaches the ignore pull request, its
// .remedy.yaml and the answers quoted and cut: nothing hides the rest of a
// body, draws an image or mentions anyone.
func TestHostileTextIsQuoted(t *testing.T) {
	e := setup(t)
	reason := "<!-- hide @org/team ![x](http://evil.example/p.png) </details> `tick` " + strings.Repeat("x", 1<<20)
	req := Request{Source: SourceGitHub, Verb: "ignore", Requester: "maint", Issue: e.pr, IsPR: true, Controls: []string{"privileged"}, Reason: reason}
	if _, err := e.run(t, KindIgnore, "privileged", req); err != nil {
		t.Fatal(err)
	}
	var ignorePR *github.PullRequest
	for _, p := range e.fixPRs() {
		if p.GetHead().GetRef() == IgnoreBranchPrefix+"privileged" {
			ignorePR = p
		}
	}
	if ignorePR == nil {
		t.Fatal("no ignore pull request")
	}
	body := ignorePR.GetBody()
	html, text := rendered(t, body)
	// remedy's own marker is the one HTML comment.
	if strings.Contains(html, "<!-- hide") || strings.Count(html, "<!--") != 1 || strings.Contains(html, "<img") || strings.Contains(html, "</details>") ||
		!strings.Contains(html, "Merge it to accept the risk") || strings.Contains(text, "@org") || len(body) > 4000 {
		t.Errorf("ignore pull request body (%d bytes) renders:\n%.3000s", len(body), html)
	}
	cfg, _ := e.forge.ReadFile("acme", "shop", IgnoreBranchPrefix+"privileged", config.FileName)
	if _, err := config.Parse(config.FileName, []byte(cfg)); err != nil || len(cfg) > len(remedyYAML)+400 {
		t.Errorf(".remedy.yaml (%d bytes, %v):\n%.1000s", len(cfg), err, cfg)
	}

	// A command remedy could not read, answered with what was typed.
	_, uerr := chatcommand.FromComment("/remedy fix <!--"+strings.Repeat("y", 1<<20)+" @org/team", nil)
	ue, ok := uerr.(*chatcommand.UsageError)
	if !ok {
		t.Fatalf("err %v", uerr)
	}
	if _, err := e.run(t, KindReply, "", Request{Source: SourceGitHub, Verb: "help", Requester: "reader", Issue: e.pr, Message: ue.Markdown()}); err != nil {
		t.Fatal(err)
	}
	cs := e.comments(t)
	last := cs[len(cs)-1]
	html, text = rendered(t, last)
	if strings.Contains(html, "<!--") || !strings.Contains(html, "/remedy help") || len(last) > 4000 || strings.Contains(text, "@org") {
		t.Errorf("answer (%d bytes) renders:\n%.3000s", len(last), html)
	}

	// The answer to /remedy fix names the controls asked for, quoted.
	note := controlsNote([]string{"privileged", "<!--", strings.Repeat("z", 1<<20)})
	if html, _ := rendered(t, note); strings.Contains(html, "<!--") || !strings.Contains(html, "/remedy ignore") || len(note) > 1000 {
		t.Errorf("controls note renders:\n%.1000s", html)
	}
}
