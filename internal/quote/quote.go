// Package quote puts text remedy did not write into text remedy writes:
// comments, reviews and pull request bodies on GitHub (Markdown), titles
// and commit messages (plain text GitHub still links mentions in), and
// Slack messages. The text comes from people remedy does not answer to: a
// comment's words, a repository's file names, object and container names,
// reasons in ignore comments, error messages that quote any of those.
//
// Markdown gets a code span (Code, Cell), the one construct whose content
// CommonMark and GitHub show as it is: inside it, "<!--" does not hide the
// rest of a body, "<img>" and "![x](url)" draw nothing, "[x](url)" links
// nowhere and "@org/team" notifies nobody. For that the span must close
// where remedy closes it, so its fence is longer than any run of
// backticks inside, and the text is one line: a line break would let the
// next line start a block (an HTML comment, a heading, a table row) before
// the span is read. Everything is cut to a length with "…", so a 1 MB
// control name costs a comment nothing.
package quote

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limit is how many characters (runes) of one untrusted string are shown;
// longer ones are cut, ending with "…".
const Limit = 200

// Line makes s one line of at most max runes (max < 1 means Limit): line
// breaks, tabs and other control characters become spaces, invalid UTF-8
// and the bidirectional controls that reorder what a reader sees become
// U+FFFD, and what is past max is cut, the last rune kept being "…". It
// reads no further into s than it needs.
func Line(s string, max int) string {
	if max < 1 {
		max = Limit
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if n == max-1 && i < len(s) {
			// The last rune there is room for, and more after it.
			b.WriteRune('…')
			return b.String()
		}
		switch {
		case r == utf8.RuneError && size <= 1:
			r = unicode.ReplacementChar
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			r = ' '
		case isBidiControl(r):
			r = unicode.ReplacementChar
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// isBidiControl reports the explicit directional formatting characters
// (Unicode TR9): text holding them can display in an order that is not
// the order it is read in.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// Code quotes s for Markdown as a code span of Line(s, Limit).
func Code(s string) string { return CodeN(s, Limit) }

// CodeN quotes s for Markdown as a code span of Line(s, max). The fence
// is one backtick longer than the longest run inside, and a space pads
// text that starts or ends with a backtick, as CommonMark wants.
func CodeN(s string, max int) string {
	t := Line(s, max)
	if strings.Trim(t, " ") == "" {
		// A code span cannot be empty, and one of spaces only is shown
		// as it is.
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(t, '`')+1)
	if t[0] == '`' || t[len(t)-1] == '`' {
		t = " " + t + " "
	}
	return fence + t + fence
}

// Cell quotes s for a cell of a GitHub table: Code, with "|" escaped,
// since a table splits its rows at pipes before it reads code spans (and
// shows "\|" as "|", inside them too).
func Cell(s string) string {
	return strings.ReplaceAll(Code(s), "|", `\|`)
}

// Block returns s as a fenced code block with info (e.g. "yaml",
// "suggestion"): s is shown as it is, line breaks and all, since no line of
// it can close a fence longer than any run of backticks it holds. s is not
// cut: a suggestion must be whole.
func Block(info, s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + info + "\n" + s + "\n" + fence
}

// Plain quotes s for text GitHub does not render as Markdown but still
// scans for mentions (a pull request title, a commit message): Line(s,
// max), with a zero-width joiner after every "@" that would start a
// mention, so that "@org/team" reads the same and notifies nobody.
func Plain(s string, max int) string {
	t := Line(s, max)
	if !strings.Contains(t, "@") {
		return t
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		b.WriteByte(t[i])
		if t[i] == '@' && i+1 < len(t) && isWordByte(t[i+1]) {
			b.WriteString("\u200d")
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// Slack quotes s for a Slack message (mrkdwn) as inline code of
// Line(s, Limit): "&", "<" and ">" escaped as Slack asks (so "<!channel>"
// and "<@U123>" notify nobody and "<url|text>" links nowhere), and
// backticks, which Slack's code cannot hold, shown as "ˋ".
func Slack(s string) string {
	t := Line(s, Limit)
	if strings.Trim(t, " ") == "" {
		return "` `"
	}
	t = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "ˋ").Replace(t)
	return "`" + t + "`"
}

// SlackText escapes s for one line of a Slack message without quoting it
// as code (an error message, a job's result): SlackEscape(Line(s, max)).
func SlackText(s string, max int) string { return SlackEscape(Line(s, max)) }

// SlackEscape escapes "&", "<" and ">" as Slack asks, and nothing else:
// for a whole message remedy wrote, whose untrusted parts are already
// quoted, so that none of it is read as a mention ("<!channel>") or a link.
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// URLPath escapes each segment of a slash-separated path (a file, a branch,
// a GitLab group's project) for a link or an API route, so that no name can
// end the link or start another, while its slashes stay steps.
func URLPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
