package quote

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"
)

// hostile are strings a commenter or a repository could hand remedy.
var hostile = []struct{ name, s string }{
	{"html comment", "<!-- x"},
	{"closed html comment", "a <!-- x --> b"},
	{"closing details", "</details>"},
	{"image tag", `<img src="http://evil.example/p.png">`},
	{"mention", "@org/team please"},
	{"markdown image", "![x](http://evil.example/p.png)"},
	{"markdown link", "[docs](javascript:alert(1))"},
	{"autolink", "<http://evil.example>"},
	{"one backtick", "a`b"},
	{"backtick ends", "`x`"},
	{"fence run", "```yaml\n<!-- x\n```"},
	{"many backticks", "``a```b````"},
	{"newline then comment", "ok\n<!-- hidden"},
	{"CRLF heading", "ok\r\n# Heading"},
	{"pipe", "a|b"},
	{"backslash pipe", `a\|b`},
	{"table row", "x\n| a | b |"},
	{"emphasis", "*bold* _it_ ~~del~~"},
	{"bidi override", "abc\u202edcba"},
	{"invalid UTF-8", "a\xffb"},
	{"empty", ""},
	{"spaces", "   "},
	{"nul and tab", "a\x00b\tc"},
	{"line separator", "a\u2028b"},
	{"1 MB", strings.Repeat("a", 1<<20)},
	{"1 MB of backticks", strings.Repeat("`", 1<<20)},
	{"long multibyte", strings.Repeat("é", 300)},
}

// render renders Markdown as GitHub's CommonMark with tables does, raw
// HTML passed through, so that any HTML that escaped a quote shows.
func render(t *testing.T, md string) string {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.Table), goldmark.WithRendererOptions(goldhtml.WithUnsafe()))
	var b bytes.Buffer
	if err := gm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// escape escapes text as goldmark does.
func escape(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "&#34;", "&quot;")
}

// shown is what a code span of s shows: Line(s, Limit), with the one
// space CommonMark strips from both ends of padded content.
func shown(s string) string {
	t := Line(s, Limit)
	if strings.Trim(t, " ") == "" {
		return " "
	}
	return t
}

func TestCodeInAParagraph(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, "before "+Code(tt.s)+" after\n\nnext paragraph\n")
			want := "<p>before <code>" + escape(shown(tt.s)) + "</code> after</p>\n<p>next paragraph</p>\n"
			if got != want {
				t.Errorf("Code(%.40q) renders\n%s\nwant\n%s", tt.s, got, want)
			}
		})
	}
}

func TestCellInATable(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, "| file | rest |\n|---|---|\n| "+Cell(tt.s)+" | after |\n\nnext paragraph\n")
			want := "<td><code>" + escape(shown(tt.s)) + "</code></td>\n<td>after</td>\n</tr>\n</tbody>\n</table>\n<p>next paragraph</p>\n"
			if !strings.HasSuffix(got, want) {
				t.Errorf("Cell(%.40q) renders\n%s\nwant it to end with\n%s", tt.s, got, want)
			}
		})
	}
}

func TestBlock(t *testing.T) {
	for _, tt := range hostile {
		if len(tt.s) > 1<<16 || !utf8.ValidString(tt.s) {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, Block("yaml", tt.s)+"\n\nnext paragraph\n")
			const open, end = `<pre><code class="language-yaml">`, "</code></pre>\n<p>next paragraph</p>\n"
			code, ok := strings.CutPrefix(got, open)
			code, ok2 := strings.CutSuffix(code, end)
			if !ok || !ok2 || strings.ContainsAny(code, "<>") {
				t.Errorf("Block(%.40q) renders\n%s\nwant one code block, then the paragraph", tt.s, got)
			}
		})
	}
}

var mentionRE = regexp.MustCompile(`@[A-Za-z0-9]`)

func TestPlain(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			got := Plain(tt.s, Limit)
			if strings.ContainsAny(got, "\r\n") || mentionRE.MatchString(got) || utf8.RuneCountInString(got) > Limit+strings.Count(got, "\u200d") {
				t.Errorf("Plain(%.40q) = %q", tt.s, got)
			}
			if strings.ReplaceAll(got, "\u200d", "") != Line(tt.s, Limit) {
				t.Errorf("Plain(%.40q) changed more than mentions: %q", tt.s, got)
			}
		})
	}
}

func TestSlack(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			got := Slack(tt.s)
			inner := strings.TrimSuffix(strings.TrimPrefix(got, "`"), "`")
			if !strings.HasPrefix(got, "`") || !strings.HasSuffix(got, "`") || strings.Contains(inner, "`") || strings.ContainsAny(got, "<>\n") {
				t.Errorf("Slack(%.40q) = %q", tt.s, got)
			}
			if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(inner, "&amp;", ""), "&lt;", ""), "&gt;", ""), "&") {
				t.Errorf("Slack(%.40q) = %q: an unescaped &", tt.s, got)
			}
		})
	}
	if got := Slack("<!channel> & `x`"); got != "`&lt;!channel&gt; &amp; ˋxˋ`" {
		t.Errorf("Slack = %q", got)
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"éèê", 3, "éèê"},
		{"éèêë", 3, "éè…"},
		{"a\nb\r\nc", 0, "a b  c"},
		{"a\xffb", 0, "a\ufffdb"},
		{"x\u202ey", 0, "x\ufffdy"},
		{"ab", 1, "…"},
		{"a", 1, "a"},
	}
	for _, tt := range tests {
		if got := Line(tt.s, tt.max); got != tt.want {
			t.Errorf("Line(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
	if got := Line(strings.Repeat("a", 1<<20), 0); utf8.RuneCountInString(got) != Limit || !strings.HasSuffix(got, "…") {
		t.Errorf("1 MB cut to %d runes", utf8.RuneCountInString(got))
	}
}

func BenchmarkCode1MB(b *testing.B) {
	s := strings.Repeat("`a", 1<<19)
	for b.Loop() {
		Code(s)
	}
}

func TestURLPath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"apps/a b/x).yaml", "apps/a%20b/x%29.yaml"},
		{"remedy/security-fixes", "remedy/security-fixes"},
		{"group/sub/app", "group/sub/app"},
		{"a?b#c/d%e", "a%3Fb%23c/d%25e"},
		{"", ""},
	} {
		if got := URLPath(tt.in); got != tt.want {
			t.Errorf("URLPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
