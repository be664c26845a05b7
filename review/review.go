// Package review computes remedy's review of a pull request: the new
// findings in the files it changes, each placed on its line, and for each
// fix the editor can make a GitHub suggestion block with the exact fixed
// lines, so the author applies it in one click. Everything a review shows
// of the pull request (paths, messages naming its objects, parse errors,
// the suggested lines) is quoted (package quote): a pull request is
// written by anyone.
//
// It only computes. Fetching the files and posting the review is the
// caller's business (package tasks).
package review

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
)

// maxMessage bounds a finding's message or an error as a review quotes
// it: messages name containers and volumes, errors quote files.
const maxMessage = 300

// Marker is in the body of every review remedy posts, so that the next
// review can find and replace it.
const Marker = "<!-- remedy:review -->"

// File is a file the pull request adds or modifies, as of its head.
type File struct {
	// Path is the repository path.
	Path string
	// Head is the file's content at the head commit.
	Head []byte
	// Patch is GitHub's patch of the file (its diff hunks); comments can
	// only go on lines it shows.
	Patch string
	// Unread says why Head was not read (a symlink, a special file, over
	// the size limit): the file is not scanned, and the review says why.
	Unread string
}

// Options configure Build.
type Options struct {
	// Config is the base branch's .remedy.yaml: a pull request does not
	// get to switch controls off for its own review.
	Config *config.Config
	// Baseline holds the fingerprints of the base branch's findings; only
	// findings not in it are new.
	Baseline map[string]bool
	// FailOn is the severity from which a new finding fails the review.
	FailOn scanner.Severity
	// Catalog defaults to scanner.DefaultCatalog.
	Catalog *scanner.Catalog
	// Budgets bound the changed files, all together, as a scan's load
	// (documents per file, containers per pod, objects of the review);
	// zero fields take the defaults. What is over them is an error.
	Budgets scanner.Budgets
}

// Comment is one review comment on the head side of a file.
type Comment struct {
	Path string
	// StartLine..Line is the range commented on, 1-based, head side.
	StartLine, Line int
	// Findings are what the comment is about.
	Findings []scanner.Finding
	// Suggestion replaces lines StartLine..Line when HasSuggestion.
	Suggestion    string
	HasSuggestion bool
	Body          string
}

// Result is a computed review.
type Result struct {
	// New are the new, unsuppressed findings of the changed files.
	New []scanner.Finding
	// Comments are placed on lines of the diff.
	Comments []Comment
	// Unplaced are new findings (and fixes) no diff line shows; the review
	// body lists them.
	Unplaced []Comment
	// Failing counts new findings at or above FailOn.
	Failing int
	// Errors are files that could not be parsed.
	Errors []scanner.FileError
}

// Build scans files and reviews them.
func Build(files []File, o Options) Result {
	if o.Config == nil {
		o.Config = &config.Config{}
	}
	if o.Catalog == nil {
		o.Catalog = scanner.DefaultCatalog()
	}
	var res Result
	// Parsed first, then bounded together: a pull request is anyone's.
	in := &scanner.Inputs{}
	head := map[*scanner.SourceFile]File{}
	for _, f := range files {
		if !isManifest(f.Path) || o.Config.Excluded(f.Path) {
			continue
		}
		if f.Unread != "" {
			res.Errors = append(res.Errors, scanner.FileError{File: f.Path, Message: f.Unread})
			continue
		}
		sf, errs := scanner.ParseFile(f.Path, f.Head)
		res.Errors = append(res.Errors, errs...)
		if sf != nil {
			in.Files, head[sf] = append(in.Files, sf), f
		}
	}
	in.ApplyBudgets(o.Budgets)
	res.Errors = append(res.Errors, in.Errors...)
	for _, sf := range in.Files {
		reviewFile(&res, head[sf], sf, o)
	}
	for _, f := range res.New {
		if f.Severity >= o.FailOn {
			res.Failing++
		}
	}
	sort.SliceStable(res.Comments, func(i, j int) bool {
		a, b := res.Comments[i], res.Comments[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	return res
}

func isManifest(p string) bool {
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if strings.HasSuffix(strings.ToLower(p), ext) {
			return true
		}
	}
	return false
}

// reviewFile reviews f, parsed as sf.
func reviewFile(res *Result, f File, sf *scanner.SourceFile, o Options) {
	scan := scanner.Options{Config: o.Config, Catalog: o.Catalog}
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{sf}}, scan)
	var fresh []scanner.Finding
	for _, fd := range rep.Findings {
		if !fd.Suppressed && !o.Baseline[fd.Fingerprint()] {
			fresh = append(fresh, fd)
		}
	}
	if len(fresh) == 0 {
		return
	}
	res.New = append(res.New, fresh...)
	fixOpts := remediate.Options{ResourceDefaults: o.Config.Defaults.ResourceDefaults()}
	ff := remediate.FixFile(sf, fresh, fixOpts, scan)
	shown := diffLines(f.Patch)
	crlf := strings.Contains(string(f.Head), "\r\n")

	// One suggestion per change the editor made, naming the findings it
	// fixes: two suggestions may not overlap, or applying one would break
	// the other.
	changes := changesOf(f.Head, ff.After)
	byChange := make([][]scanner.Finding, len(changes))
	reasons := map[string]string{}
	for _, out := range ff.Outcomes {
		if out.Status != remediate.StatusFixed {
			reasons[out.Finding.Fingerprint()] = out.Reason
			continue
		}
		i := attribute(sf, out.Finding, changes, fixOpts, scan)
		if i < 0 {
			reasons[out.Finding.Fingerprint()] = "fixed only together with other findings"
			continue
		}
		byChange[i] = append(byChange[i], out.Finding)
	}
	fixed := map[string]bool{}
	for i, ch := range changes {
		if len(byChange[i]) == 0 {
			continue
		}
		for _, fd := range byChange[i] {
			fixed[fd.Fingerprint()] = true
		}
		c := Comment{Path: f.Path, StartLine: ch.start + 1, Line: ch.end, Findings: byChange[i], Suggestion: ch.text, HasSuggestion: !crlf}
		c.Body = commentBody(c, o.Catalog, nil)
		if shown.covers(c.StartLine, c.Line) {
			res.Comments = append(res.Comments, c)
		} else {
			res.Unplaced = append(res.Unplaced, c)
		}
	}
	for _, fd := range fresh {
		if fixed[fd.Fingerprint()] {
			continue
		}
		c := Comment{Path: f.Path, StartLine: fd.Line, Line: fd.Line, Findings: []scanner.Finding{fd}}
		c.Body = commentBody(c, o.Catalog, reasons)
		if shown.covers(fd.Line, fd.Line) {
			res.Comments = append(res.Comments, c)
		} else {
			res.Unplaced = append(res.Unplaced, c)
		}
	}
}

// change replaces head lines [start, end) (0-based) with text. It never
// is empty on the head side: an insertion takes the line before it (or
// after it, at the top of the file) along, since a suggestion must
// replace at least one line.
type change struct {
	start, end int
	text       string
}

// changesOf diffs a file's head and fixed contents into changes.
func changesOf(before, after []byte) []change {
	if string(before) == string(after) {
		return nil
	}
	a, b := slices.Collect(strings.Lines(string(before))), slices.Collect(strings.Lines(string(after)))
	type span struct{ i1, i2, j1, j2 int }
	var spans []span
	for _, op := range difflib.NewMatcher(a, b).GetOpCodes() {
		if op.Tag == 'e' {
			continue
		}
		s := span{op.I1, op.I2, op.J1, op.J2}
		if s.i1 == s.i2 { // pure insertion: widen to a neighbouring line
			if s.i1 > 0 {
				s.i1, s.j1 = s.i1-1, s.j1-1
			} else {
				s.i2, s.j2 = s.i2+1, s.j2+1
			}
		}
		if n := len(spans); n > 0 && s.i1 < spans[n-1].i2 {
			spans[n-1].i2, spans[n-1].j2 = s.i2, s.j2
			continue
		}
		spans = append(spans, s)
	}
	out := make([]change, 0, len(spans))
	for _, s := range spans {
		var lines []string
		for _, l := range b[s.j1:s.j2] {
			lines = append(lines, strings.TrimRight(l, "\r\n"))
		}
		out = append(out, change{start: s.i1, end: s.i2, text: strings.Join(lines, "\n")})
	}
	return out
}

// attribute finds the change that holds the fix of fd: the one overlapping
// where fd's fix alone edits the file.
func attribute(sf *scanner.SourceFile, fd scanner.Finding, changes []change, fo remediate.Options, scan scanner.Options) int {
	solo := remediate.FixFile(sf, []scanner.Finding{fd}, fo, scan)
	own := changesOf(sf.Bytes, solo.After)
	if len(own) == 0 {
		return -1
	}
	for i, c := range changes {
		if own[0].start < c.end && c.start < own[0].end {
			return i
		}
	}
	return -1
}

// shownLines are the head-side line ranges of a patch's hunks.
type shownLines [][2]int

var hunkRE = regexp.MustCompile(`(?m)^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@`)

func diffLines(patch string) shownLines {
	var out shownLines
	for _, m := range hunkRE.FindAllStringSubmatch(patch, -1) {
		start, _ := strconv.Atoi(m[1])
		n := 1
		if m[2] != "" {
			n, _ = strconv.Atoi(m[2])
		}
		if n > 0 {
			out = append(out, [2]int{start, start + n - 1})
		}
	}
	return out
}

// covers reports whether one hunk shows lines from..to: GitHub wants a
// multi-line comment inside one hunk.
func (s shownLines) covers(from, to int) bool {
	for _, h := range s {
		if from >= h[0] && to <= h[1] {
			return true
		}
	}
	return false
}

// commentBody renders a comment: the findings, then the suggestion.
func commentBody(c Comment, cat *scanner.Catalog, reasons map[string]string) string {
	var b strings.Builder
	for _, f := range c.Findings {
		title := f.Control
		how := ""
		if ctl := cat.Get(f.Control); ctl != nil {
			title = ctl.Title
			how = ctl.HowToFix
		}
		bullet := ""
		if len(c.Findings) > 1 {
			bullet = "- "
		}
		fmt.Fprintf(&b, "%s**%s** (%s, %s): %s\n", bullet, title, quote.Code(f.Control), f.Severity, quote.CodeN(f.Message, maxMessage))
		if !c.HasSuggestion && how != "" {
			fmt.Fprintf(&b, "\n%s\n", how)
		}
		if r := reasons[f.Fingerprint()]; r != "" && !c.HasSuggestion {
			fmt.Fprintf(&b, "\nremedy cannot fix this one: %s.\n", quote.CodeN(strings.TrimSuffix(r, "."), maxMessage))
		}
	}
	if c.HasSuggestion {
		fmt.Fprintf(&b, "\n%s\n", quote.Block("suggestion", c.Suggestion))
	} else if c.Suggestion != "" {
		fmt.Fprintf(&b, "\nThe file uses CRLF line endings, which suggestions would not keep; the fix is:\n\n%s\n", quote.Block("yaml", c.Suggestion))
	}
	return b.String()
}

// Body is the review's summary. It ends with Marker.
func (r Result) Body(sha string, failOn scanner.Severity) string {
	var b strings.Builder
	short := sha
	if len(short) > 7 {
		short = short[:7]
	}
	fixable := 0
	for _, c := range append(append([]Comment(nil), r.Comments...), r.Unplaced...) {
		if c.Suggestion != "" {
			fixable += len(c.Findings)
		}
	}
	fmt.Fprintf(&b, "remedy found %s in the manifests this pull request changes (as of %s)", plural.Count(len(r.New), "new finding"), short)
	if fixable > 0 {
		fmt.Fprintf(&b, "; %d come with a suggested fix you can apply in one click", fixable)
	}
	b.WriteString(".")
	switch {
	case r.Failing == 1:
		fmt.Fprintf(&b, " 1 is at or above %s and fails the `remedy` check.", failOn)
	case r.Failing > 1:
		fmt.Fprintf(&b, " %d are at or above %s and fail the `remedy` check.", r.Failing, failOn)
	}
	if len(r.Unplaced) > 0 {
		b.WriteString("\n\nOutside the lines this pull request shows:\n")
		for _, c := range r.Unplaced {
			for _, f := range c.Findings {
				fmt.Fprintf(&b, "\n- %s line %d: %s (%s): %s", quote.Code(c.Path), f.Line, quote.Code(f.Control), f.Severity, quote.CodeN(f.Message, maxMessage))
			}
			if c.Suggestion != "" {
				fmt.Fprintf(&b, "\n\n  Fix for lines %d–%d:\n\n%s\n", c.StartLine, c.Line, indent(quote.Block("yaml", c.Suggestion), "  "))
			}
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "\n\n%s could not be read: %s", quote.Code(e.File), quote.CodeN(e.Message, maxMessage))
	}
	b.WriteString("\n\nSuppress a finding with `# remedy:ignore <control> <reason>` on its line, or ask for an exception with `/remedy ignore <control> <reason>`.\n\n")
	b.WriteString(Marker + "\n")
	return b.String()
}

func indent(s, pre string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = pre + lines[i]
	}
	return strings.Join(lines, "\n")
}

// Apply applies suggestions to content, as GitHub's "Commit suggestion"
// does: each replaces its lines. Suggestions must not overlap. It is how
// tests (and cautious callers) check that the suggestions fix what they
// claim.
func Apply(content []byte, comments []Comment) []byte {
	lines := slices.Collect(strings.Lines(string(content)))
	cs := append([]Comment(nil), comments...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].StartLine > cs[j].StartLine })
	for _, c := range cs {
		if !c.HasSuggestion || c.StartLine < 1 || c.Line > len(lines) {
			continue
		}
		nl := "\n"
		last := lines[c.Line-1]
		var repl []string
		for i, l := range strings.Split(c.Suggestion, "\n") {
			_ = i
			repl = append(repl, l+nl)
		}
		if !strings.HasSuffix(last, "\n") && len(repl) > 0 {
			repl[len(repl)-1] = strings.TrimSuffix(repl[len(repl)-1], nl)
		}
		lines = append(lines[:c.StartLine-1], append(repl, lines[c.Line:]...)...)
	}
	return []byte(strings.Join(lines, ""))
}
