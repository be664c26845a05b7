// Package tasks does the work of remedy serve's jobs: converge a
// repository's fix pull request (chat commands, pushes, sweeps), propose an
// ignore, scan and summarize, review a pull request, answer a command; and
// tells whoever asked (a GitHub comment, a Slack response_url).
//
// Everything is resolved through the configured forge's API at run time:
// the repository (and so its clone URL and default branch) and the
// permission of the person who asked. Nothing in a stored payload is
// trusted as a URL or a permission.
//
// Data enters as a job of serve/jobs (its kind, repository and the
// requests joined in it, Handle) and leaves as what the job did on the
// forge (through the gitops skeleton and life cycle, or a review), the
// answers posted to whoever asked, and the job's one-line result.
package tasks

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Job kinds. Jobs of one kind and key coalesce while they wait.
const (
	// KindConverge brings the fix pull request in line (fix, rebase, push,
	// sweep): any number of requests make one run.
	KindConverge = "converge"
	// KindIgnore proposes disabling one control (the key) in .remedy.yaml.
	KindIgnore = "ignore"
	// KindScan summarizes the default branch's findings.
	KindScan = "scan"
	// KindReview reviews one pull request (the key is its number).
	KindReview = "review"
	// KindReply answers a comment (help, a command remedy could not read).
	KindReply = "reply"
)

// Sources of requests.
const (
	SourceGitHub   = "github"
	SourceGitLab   = "gitlab"
	SourceGitea    = "gitea"
	SourceSlack    = "slack"
	SourceSchedule = "schedule"
)

// fromForge reports whether a person asked on a forge (a comment), where
// the forge says who may do what and the answer goes.
func (r Request) fromForge() bool {
	return r.Source == SourceGitHub || r.Source == SourceGitLab || r.Source == SourceGitea
}

// JobRepo is the job repository of full on a forge of kind: full itself
// on GitHub, "kind:full" on the others, so that jobs of two forges never
// share a key.
func JobRepo(kind, full string) string {
	if kind == "" || kind == SourceGitHub {
		return full
	}
	return kind + ":" + full
}

// SplitJobRepo reads JobRepo back: kind is "" for GitHub.
func SplitJobRepo(repo string) (kind, full string) {
	if k, f, ok := strings.Cut(repo, ":"); ok && (k == SourceGitLab || k == SourceGitea) {
		return k, f
	}
	return "", repo
}

// VerbDashboard is the verb of a run asked for by an edit of the
// dashboard issue (a ticked box): a converge, for a person who must have
// write access.
const VerbDashboard = "dashboard"

// Request is one requester's part of a job, stored as the job's payload.
type Request struct {
	Source string `json:"source"`
	// Verb is the command (fix, rebase, ignore, scan, help), or push,
	// sweep, review for requests no person typed.
	Verb     string   `json:"verb"`
	Controls []string `json:"controls,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	// Requester is a GitHub login or a Slack user ID.
	Requester string `json:"requester,omitempty"`
	// Issue is the GitHub issue or pull request to answer on.
	Issue int  `json:"issue,omitempty"`
	IsPR  bool `json:"isPR,omitempty"`
	// ResponseURL is where a Slack answer goes (checked against the
	// configured prefixes before use).
	ResponseURL string `json:"responseURL,omitempty"`
	// Message is a KindReply's text, Markdown in which what the person
	// typed is already quoted (command.UsageError.Markdown).
	Message string `json:"message,omitempty"`
	// PR is the pull request a review is for.
	PR int `json:"pr,omitempty"`
	// Schedule names the schedule of a sweep.
	Schedule string `json:"schedule,omitempty"`
	// Cluster names the cluster of a KindClusterSweep.
	Cluster string `json:"cluster,omitempty"`
}

// Payload encodes r for a job.
func (r Request) Payload() json.RawMessage {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("tasks.Request is always encodable: %v", err))
	}
	return b
}

// DecodeRequests reads a job's payloads.
func DecodeRequests(payloads []json.RawMessage) ([]Request, error) {
	out := make([]Request, 0, len(payloads))
	for i, p := range payloads {
		var r Request
		if err := json.Unmarshal(p, &r); err != nil {
			return nil, fmt.Errorf("payload %d: %w", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}
