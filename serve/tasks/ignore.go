package tasks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/templates"
)

// IgnoreBranchPrefix starts the branches of ignore pull requests, one per
// control: remedy/ignore/<control>. It is deeper than the fix branches'
// remedy/<control>, which the fix life cycle leaves alone.
const IgnoreBranchPrefix = gitops.BranchPrefix + "ignore/"

// ignore proposes, in a pull request of its own, to disable control in
// .remedy.yaml with the requester's reason as a comment. It is never
// committed to the default branch: a human merges it or not. The pull
// request runs through the same life cycle as fixes (gitops.Converge), so
// repeating the command updates it, closing it unmerged declines it, and a
// push by someone else makes it theirs.
func (t *task) ignore(ctx context.Context, control string, reqs []Request) (string, error) {
	ok, err := t.authorized(ctx, reqs)
	if err != nil {
		return "", err
	}
	if len(ok) == 0 {
		return "no request was authorized", nil
	}
	// Of requests that waited together, the last one had the last word.
	last := ok[len(ok)-1]
	say := func(text string) {
		for _, r := range ok {
			t.answer(ctx, r, text)
		}
	}
	co, err := t.cloneBase(ctx)
	if err != nil {
		say("remedy could not read " + t.full() + ": " + quote.CodeN(err.Error(), maxErrorText))
		return "", err
	}
	defer co.Close()
	if !co.Config.ControlEnabled(control) {
		say(fmt.Sprintf("%s is already off in `%s` on %s; nothing to propose.", quote.Code(control), config.FileName, quote.Code(co.Base)))
		return "already disabled", nil
	}
	rep := co.Scan(ctx, nil).Report
	present := map[string]bool{}
	var found []scanner.Finding
	for _, f := range rep.Findings {
		if f.Suppressed {
			continue
		}
		present[f.Fingerprint()] = true
		if f.Control == control {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		say(fmt.Sprintf("%s finds nothing on %s of %s, so there is nothing to ignore. (To switch it off ahead of time, add it to `controls.disable` in `%s`.)", quote.Code(control), quote.Code(co.Base), t.full(), config.FileName))
		return "no findings to ignore", nil
	}
	before, err := config.ReadFile(co.Dir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	note := ignoreNote(control, last)
	after, err := DisableControl(before, control, note)
	if err != nil {
		say(fmt.Sprintf("remedy could not edit `%s` safely (%s); add %s to `controls.disable` by hand, with the reason as a comment.", config.FileName, quote.CodeN(err.Error(), maxErrorText), quote.Code(control)))
		return "", fmt.Errorf("edit %s: %w", config.FileName, err)
	}
	fps := map[string]bool{}
	for _, f := range found {
		fps[f.Fingerprint()] = true
	}
	fixes := gitops.Fixes{
		Fixed:   found,
		Present: present,
		Apply: func(only map[string]bool) ([]gitops.FileChange, []scanner.Finding) {
			var in []scanner.Finding
			for _, f := range found {
				if only == nil || only[f.Fingerprint()] {
					in = append(in, f)
				}
			}
			if len(in) == 0 {
				return nil, nil
			}
			return []gitops.FileChange{{Path: config.FileName, Before: before, After: after}}, in
		},
	}
	s, err := co.Settings()
	if err != nil {
		return "", err
	}
	set, err := ignoreTemplates(last)
	if err != nil {
		return "", err
	}
	s.Templates = set
	s.Group, s.BranchPrefix = gitops.GroupPerControl, IgnoreBranchPrefix
	s.Bot, s.Now, s.Log = t.h.o.Bot, t.h.o.Now, t.log
	res, err := gitops.Converge(ctx, t.host.Forge(co.Repo.Owner, co.Repo.Name), co.Workspace, fixes, s)
	var lines []string
	for _, br := range res.Branches {
		t.h.o.Metrics.PullRequest(string(br.Action))
		lines = append(lines, "- "+strings.Replace(describeBranch(br), "fix pull request", "pull request", 1))
	}
	text := fmt.Sprintf("Ignoring %s (%s on %s) is proposed for review, never committed directly:\n%s",
		quote.Code(control), plural.Count(len(found), "finding"), quote.Code(co.Base), strings.Join(lines, "\n"))
	if err != nil {
		text += "\n\nSomething went wrong: " + quote.CodeN(err.Error(), maxErrorText)
	}
	say(text)
	return fmt.Sprintf("ignore %s: %d findings, %d branches", control, len(found), len(res.Branches)), err
}

// maxReason bounds the reason of an ignore as remedy writes it.
const maxReason = 200

// ignoreNote is the comment written above the disabled control.
func ignoreNote(control string, r Request) string {
	// A YAML comment runs to the end of its line: one line, cut.
	reason := oneline.Fold(quote.Line(r.Reason, maxReason))
	who := ""
	if r.Requester != "" {
		who = " (@" + r.Requester
		if r.Issue > 0 {
			who += fmt.Sprintf(", #%d", r.Issue)
		}
		who += ")"
	}
	return fmt.Sprintf("%s: %s%s", control, reason, who)
}

// ignoreTemplates renders the ignore pull request's texts. The reason is
// quoted for each text (a code span in the body, a line without mentions
// in the commit message, both cut) and put into the templates as a string
// literal, so nothing a commenter writes is ever parsed as a template or
// rendered as Markdown.
func ignoreTemplates(r Request) (*templates.Set, error) {
	reason := fmt.Sprintf("{{%q}}", quote.CodeN(r.Reason, maxReason))
	commitReason := fmt.Sprintf("{{%q}}", quote.Plain(r.Reason, maxReason))
	who := ""
	if r.Requester != "" {
		who = fmt.Sprintf(" by @{{%q}}", r.Requester)
		if r.Issue > 0 {
			who += fmt.Sprintf(" in #%d", r.Issue)
		}
	}
	return templates.Parse(map[string]string{
		templates.Title: `chore(remedy): ignore {{.Group}} in .remedy.yaml`,
		templates.Body: "This pull request switches off the {{code .Group}} control in `.remedy.yaml` of {{code .Base}}, as requested" + who + ".\n\n" +
			"**Reason given:** " + reason + "\n\n" +
			"It silences {{len .Findings}} finding(s):\n\n| file | line | resource |\n|---|---|---|\n" +
			"{{range .Table}}| {{cell .File}} | {{.Line}} | {{cell .Resource}} |\n{{end}}" +
			"{{if .Truncated}}\n…and {{.Truncated}} more.\n{{end}}\n" +
			"Merge it to accept the risk on the record; close it to keep the control on.\n",
		templates.Commit: "chore(remedy): ignore {{.Group}}\n\nReason: " + commitReason + "\n",
	})
}

// DisableControl adds control to controls.disable of a .remedy.yaml (src,
// possibly empty) with note as a comment above it. The file is edited with
// remediate's verified splice editor, so its comments, order and style stay
// as they are.
func DisableControl(src []byte, control, note string) ([]byte, error) {
	comment := "# " + oneline.Fold(note)
	if len(bytes.TrimSpace(src)) == 0 {
		return []byte("controls:\n  disable:\n    " + comment + "\n    - " + control + "\n"), nil
	}
	if _, err := config.Parse(config.FileName, src); err != nil {
		return nil, err
	}
	root, err := yaml.Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", config.FileName, err)
	}
	controls, _ := root.Pipe(yaml.Lookup("controls"))
	disable, _ := root.Pipe(yaml.Lookup("controls", "disable"))
	var op remediate.Op
	switch {
	case controls == nil:
		op = remediate.Op{Op: "add", Path: "/controls", Value: map[string]any{"disable": []any{control}}}
	case controls.YNode().Kind != yaml.MappingNode:
		return nil, errors.New("controls is not a mapping")
	case disable == nil:
		op = remediate.Op{Op: "add", Path: "/controls/disable", Value: []any{control}}
	case disable.YNode().Kind != yaml.SequenceNode:
		return nil, errors.New("controls.disable is not a list")
	default:
		op = remediate.Op{Op: "add", Path: "/controls/disable/-", Value: control}
	}
	out, err := remediate.EditDocument(src, []remediate.Op{op})
	if err != nil {
		return nil, err
	}
	// The comment goes above the first new or changed line naming the
	// control, indented like it.
	a, b := slices.Collect(strings.Lines(string(src))), slices.Collect(strings.Lines(string(out)))
	for _, oc := range difflib.NewMatcher(a, b).GetOpCodes() {
		if oc.Tag != 'i' && oc.Tag != 'r' {
			continue
		}
		for j := oc.J1; j < oc.J2; j++ {
			if !strings.Contains(b[j], control) {
				continue
			}
			indent := b[j][:len(b[j])-len(strings.TrimLeft(b[j], " \t"))]
			nl := "\n"
			if strings.HasSuffix(b[j], "\r\n") {
				nl = "\r\n"
			}
			b = append(b[:j], append([]string{indent + comment + nl}, b[j:]...)...)
			if _, err := config.Parse(config.FileName, []byte(strings.Join(b, ""))); err != nil {
				return nil, fmt.Errorf("edited %s does not parse: %w", config.FileName, err)
			}
			return []byte(strings.Join(b, "")), nil
		}
	}
	return out, nil
}
