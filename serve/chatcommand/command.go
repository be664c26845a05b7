// Package chatcommand reads the chat commands people give remedy: "/remedy …"
// lines in GitHub issue and pull request comments, and the text of the
// /remedy Slack slash command. It only parses; who may run what, and what
// running means, is decided by the caller.
//
// Data enters as the text of a comment (FromComment) or of a slash
// command (FromSlack) with the control IDs that exist (Known); it leaves as
// a Command, or a UsageError a person can read, which the service answers
// with.
package chatcommand

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/remedy-bot/remedy/internal/quote"
)

// Verbs.
const (
	Fix    = "fix"
	Rebase = "rebase"
	Ignore = "ignore"
	Scan   = "scan"
	Status = "status"
	Help   = "help"
)

// Command is one parsed command.
type Command struct {
	Verb string
	// Repo is owner/name (Slack only: a comment's repository is where it
	// was written).
	Repo string
	// Controls are the control IDs named by fix, or the one of ignore.
	Controls []string
	// Reason is ignore's reason.
	Reason string
}

// Changes reports whether running the command may write to the
// repository (push a branch, open or edit a pull request): such commands
// need write permission.
func (c Command) Changes() bool {
	switch c.Verb {
	case Fix, Rebase, Ignore:
		return true
	}
	return false
}

// ErrNoCommand is returned by FromComment for a comment without a
// /remedy line: an ordinary comment, not meant for remedy.
var ErrNoCommand = errors.New("no /remedy command")

// UsageError is a command remedy understood to be meant for it but could
// not read. Its message quotes what the person typed, which can be
// anything (a 1 MB "control", "<!--", "@org/team"): Markdown and Slack
// render it for those media, quoted and cut (package quote).
type UsageError struct {
	// format holds a %s for each word; words are what the person typed.
	format string
	words  []string
}

// Error is the message with the words as Go strings, cut.
func (e *UsageError) Error() string {
	return e.render(func(w string) string { return strconv.Quote(quote.Line(w, quote.Limit)) })
}

// Markdown is the message for a GitHub comment.
func (e *UsageError) Markdown() string { return e.render(quote.Code) }

// Slack is the message for Slack.
func (e *UsageError) Slack() string { return e.render(quote.Slack) }

func (e *UsageError) render(q func(string) string) string {
	args := make([]any, len(e.words))
	for i, w := range e.words {
		args[i] = q(w)
	}
	return fmt.Sprintf(e.format, args...)
}

// usage is a UsageError: format is remedy's text, with a %s for each of
// words, the untrusted part.
func usage(format string, words ...string) error { return &UsageError{format: format, words: words} }

// Known reports whether a control ID exists; nil accepts any well-formed ID.
type Known func(id string) bool

// maxRepo bounds owner/repo: GitHub's owners have at most 39 characters,
// its repositories at most 100.
const maxRepo = 140

// maxControlID bounds a control ID: the catalog's longest is about 30 bytes.
const maxControlID = 100

var (
	controlRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	repoRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// FromComment finds the command in a GitHub comment: the first line that
// is "/remedy" or starts with "/remedy ", outside quoted text (a "> "
// reply quoting a command is not the command) and code blocks.
func FromComment(body string, known Known) (Command, error) {
	inFence := false
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence || strings.HasPrefix(t, ">") {
			continue
		}
		rest, ok := strings.CutPrefix(t, "/remedy")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		return parse(strings.Fields(rest), false, known)
	}
	return Command{}, ErrNoCommand
}

// FromSlack parses the text of the /remedy slash command (the words after
// the command itself).
func FromSlack(text string, known Known) (Command, error) {
	return parse(strings.Fields(text), true, known)
}

func parse(words []string, slack bool, known Known) (Command, error) {
	if len(words) == 0 {
		return Command{Verb: Help}, nil
	}
	c := Command{Verb: strings.ToLower(words[0])}
	args := words[1:]
	if slack {
		switch c.Verb {
		case Fix, Scan:
			if len(args) == 0 {
				return c, usage(fmt.Sprintf("`/remedy %s` needs a repository: `/remedy %s owner/repo`", c.Verb, c.Verb))
			}
			fallthrough
		case Status:
			if len(args) > 0 {
				if len(args[0]) > maxRepo || !repoRE.MatchString(args[0]) {
					return c, usage("%s is not a repository: write it as owner/repo", args[0])
				}
				c.Repo, args = strings.TrimSuffix(args[0], ".git"), args[1:]
			}
		case Rebase, Ignore:
			return c, usage(fmt.Sprintf("`%s` is a GitHub comment command: write `/remedy %s` on the pull request", c.Verb, c.Verb))
		}
	}
	switch c.Verb {
	case Help:
		return c, nil
	case Status:
		if !slack {
			return c, usage("`/remedy status` is a Slack command")
		}
		return c, noMore(c, args)
	case Scan, Rebase:
		return c, noMore(c, args)
	case Fix:
		for _, id := range args {
			if err := checkControl(id, known); err != nil {
				return c, err
			}
			c.Controls = append(c.Controls, id)
		}
		return c, nil
	case Ignore:
		if len(args) < 2 {
			return c, usage("`/remedy ignore` needs a control and a reason: `/remedy ignore read-only-root-filesystem nginx writes its cache to /var/cache/nginx`")
		}
		if err := checkControl(args[0], known); err != nil {
			return c, err
		}
		c.Controls, c.Reason = []string{args[0]}, strings.Join(args[1:], " ")
		return c, nil
	}
	return c, usage("unknown command %s", words[0])
}

func noMore(c Command, args []string) error {
	if len(args) > 0 {
		return usage(fmt.Sprintf("`/remedy %s` takes no arguments here, got %%s", c.Verb), strings.Join(args, " "))
	}
	return nil
}

func checkControl(id string, known Known) error {
	if len(id) > maxControlID || !controlRE.MatchString(id) || (known != nil && !known(id)) {
		return usage("unknown control %s (`remedy controls` lists them)", id)
	}
	return nil
}

// CommentHelp is the answer to "/remedy help" on GitHub.
const CommentHelp = "remedy commands (comment them on an issue or pull request):\n\n" +
	"| command | what it does | who may |\n|---|---|---|\n" +
	"| `/remedy fix [control…]` | scan the default branch and open or update the fix pull request | write access |\n" +
	"| `/remedy rebase` | rebuild the fix pull request on the latest default branch | write access |\n" +
	"| `/remedy ignore <control> <reason>` | propose, in a pull request, to disable a control in `.remedy.yaml` with the reason | write access |\n" +
	"| `/remedy scan` | on a pull request: review its changes; elsewhere: summarize the default branch's findings | anyone |\n" +
	"| `/remedy help` | this list | anyone |\n"

// SlackHelp is the answer to "/remedy help" in Slack.
const SlackHelp = "remedy commands:\n" +
	"• `/remedy fix owner/repo [control…]`: open or update the repository's fix pull request\n" +
	"• `/remedy scan owner/repo`: summarize the repository's findings\n" +
	"• `/remedy status [owner/repo]`: recent remedy runs\n" +
	"• `/remedy help`: this list"
