package review

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/remedy-bot/remedy/scanner"
)

// TestHostilePullRequestIsQuoted reviews a pull request whose file name,
// container names and broken YAML are written to break out of a review:
// the review body and comments show remedy's own text whole (nothing
// hidden by "<!--"), draw no image, mention nobody, and the suggestion
// blocks hold their lines however many backticks those have.
func TestHostilePullRequestIsQuoted(t *testing.T) {
	evil := "x<!--@org/team![i](http://evil.example/p.png)</details>```"
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n    note: \"" + strings.Repeat("`", 5) + "\"\nspec:\n  containers:\n    - name: \"" + evil + "\"\n      image: nginx:1.27.3\n      securityContext:\n        privileged: true\n"
	files := []File{
		{Path: "deploy/" + evil + ".yaml", Head: []byte(manifest), Patch: addedPatch(manifest)},
		{Path: "deploy/broken <!--.yaml", Head: []byte("a: [\n<!-- " + strings.Repeat("y", 1<<16) + "\n"), Patch: addedPatch("a: [\n")},
	}
	res := Build(files, Options{FailOn: scanner.SeverityHigh})
	if len(res.New) == 0 || len(res.Comments) == 0 || len(res.Errors) == 0 {
		t.Fatalf("review of the hostile files: %d findings, %d comments, %d errors", len(res.New), len(res.Comments), len(res.Errors))
	}
	// Everything placed outside the diff, too, so the body quotes it all.
	all := res
	all.Unplaced, all.Comments = append(append([]Comment(nil), res.Comments...), res.Unplaced...), nil
	texts := map[string]string{"body": res.Body("0123456789abcdef", scanner.SeverityHigh), "body with every fix": all.Body("0123456789abcdef", scanner.SeverityHigh)}
	for i, c := range res.Comments {
		texts["comment "+string(rune('a'+i))] = c.Body
	}
	for name, md := range texts {
		// remedy's own marker is the one HTML comment.
		html := strings.Replace(render(t, md), Marker, "", 1)
		if strings.Contains(html, "<!--") || strings.Contains(html, "<img") || strings.Contains(html, "</details>") {
			t.Errorf("%s renders HTML from the pull request:\n%.3000s", name, html)
		}
		if m := mentionOutsideCode(html); m != "" {
			t.Errorf("%s mentions %q", name, m)
		}
		if len(md) > 8000 {
			t.Errorf("%s is %d bytes long", name, len(md))
		}
		if strings.HasPrefix(name, "body") && !strings.Contains(html, "/remedy ignore") {
			t.Errorf("%s lost its end:\n%.3000s", name, html)
		}
	}
	// The suggestion is whole, as the block shows it.
	for _, c := range res.Comments {
		if !c.HasSuggestion {
			continue
		}
		html := render(t, c.Body)
		if !strings.Contains(html, `<code class="language-suggestion">`) || !strings.Contains(html, "privileged: false") {
			t.Errorf("suggestion block:\n%s", html)
		}
	}
}

var (
	mentionRE = regexp.MustCompile(`@[A-Za-z0-9]`)
	codeRE    = regexp.MustCompile(`(?s)<code[^>]*>.*?</code>`)
	tagRE     = regexp.MustCompile(`<[^>]*>`)
)

func mentionOutsideCode(html string) string {
	return mentionRE.FindString(tagRE.ReplaceAllString(codeRE.ReplaceAllString(html, ""), ""))
}

func render(t *testing.T, md string) string {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.Table), goldmark.WithRendererOptions(goldhtml.WithUnsafe()))
	var b bytes.Buffer
	if err := gm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
