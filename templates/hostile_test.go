package templates

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"
)

// TestHostileDataStaysQuoted renders a body and a commit message whose
// names, paths and branch are what a hostile repository could write: the
// body shows all of its own text (nothing hidden by "<!--" or closed early
// by "</details>"), draws no image, links nothing but the files, mentions
// nobody; the commit message keeps its lines.
func TestHostileDataStaysQuoted(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	hostile := []string{
		"<!-- x", "</details>", `<img src="http://evil.example/p.png">`, "@org/team", "![x](http://evil.example/p.png)",
		"[a](http://evil.example)", "a|b", "``", "x\n\nSigned-off-by: Mallory <m@evil.example>", huge,
	}
	set, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hostile {
		t.Run(strings.ToValidUTF8(h[:min(len(h), 20)], "?"), func(t *testing.T) {
			f := Finding{Control: "privileged", Severity: "high", Resource: "Deployment shop/" + h + ", container " + h, File: "apps/" + h + ".yaml", Line: 3}
			d := Data{Repo: "acme/shop", RepoURL: "https://github.com/acme/shop", Base: "main" + h, Branch: "remedy/security-fixes",
				Controls: []Control{{ID: "privileged", Severity: "high", Count: 1}},
				Findings: []Finding{f}, Table: []Finding{f},
				Resources: []string{"Deployment shop/" + h}, Files: []string{"apps/" + h + ".yaml"},
				Live: []string{"Deployment shop/" + h}, Cluster: "prod",
			}
			title, body, commit, err := set.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			html := renderMarkdown(t, body)
			for _, bad := range []string{"<!--", "<img", `href="http://evil`, "<a href=\"mailto"} {
				if strings.Contains(html, bad) {
					t.Errorf("body renders %q:\n%.2000s", bad, html)
				}
			}
			if strings.Count(html, "</details>") != 1 || !strings.Contains(html, "leaves it alone once someone else pushes to it") {
				t.Errorf("the body's own text is hidden or cut:\n%.2000s", html)
			}
			if m := mentionOutsideCode(html); m != "" {
				t.Errorf("body mentions %q outside code", m)
			}
			if len(body) > 20000 {
				t.Errorf("body is %d bytes", len(body))
			}
			for _, line := range strings.Split(commit, "\n") {
				if strings.HasPrefix(line, "Signed-off-by") {
					t.Errorf("a file name added a commit trailer:\n%.500s", commit)
				}
			}
			if strings.ContainsAny(title, "\n") || len(title) > 500 || mentionRE.MatchString(title) || mentionRE.MatchString(commit) {
				t.Errorf("title %.300q, commit %.300q", title, commit)
			}
		})
	}
}

var (
	mentionRE = regexp.MustCompile(`@[A-Za-z0-9]`)
	codeRE    = regexp.MustCompile(`(?s)<code>.*?</code>`)
	tagRE     = regexp.MustCompile(`<[^>]*>`)
)

// mentionOutsideCode finds an @mention GitHub would link: one in text
// outside code (a link's address is no text).
func mentionOutsideCode(html string) string {
	return mentionRE.FindString(tagRE.ReplaceAllString(codeRE.ReplaceAllString(html, ""), ""))
}

func renderMarkdown(t *testing.T, md string) string {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.Table), goldmark.WithRendererOptions(goldhtml.WithUnsafe()))
	var b bytes.Buffer
	if err := gm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
