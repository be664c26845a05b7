package gitops

import (
	"context"
	"errors"
	"time"
)

// This file is the forge seam: what the life cycle and its callers need of
// a forge (GitHub, GitLab, Gitea), in the forge's own neutral words. Each
// driver (gitops/forge/github, gitops/forge/gitea, gitops/forge/gitlab)
// implements it; nothing outside the drivers knows a forge API.

// PullRequest is the forge's view of a pull request (a GitLab merge
// request).
type PullRequest struct {
	Number  int
	State   string // "open" or "closed"
	Merged  bool
	Title   string
	Body    string
	Head    string // branch name
	Base    string
	HeadSHA string
	URL     string
	Created time.Time
	// HeadCloneURL is the clone URL of the repository the head branch is
	// in (a fork's, for a pull request from a fork); empty when the forge
	// did not say.
	HeadCloneURL string
	// Labels, Reviewers and Assignees are what the pull request carries,
	// as far as the forge's list answer says; LabelsKnown (and so on)
	// tell whether it said at all, so the life cycle converges them
	// without reading each pull request again.
	Labels, Reviewers, Assignees                []string
	LabelsKnown, ReviewersKnown, AssigneesKnown bool
}

// NewPullRequest is a pull request to open.
type NewPullRequest struct {
	Title, Body, Head, Base string
}

// ErrPullRequestExists is returned by Forge.CreatePullRequest when an open
// pull request from the same head already exists.
var ErrPullRequestExists = errors.New("a pull request from this branch already exists")

// Traits are the facts of a forge that the life cycle must respect.
type Traits struct {
	// MaxBodyRunes bounds a pull request body, marker included (GitHub
	// refuses one over 65536 characters).
	MaxBodyRunes int
	// DeletedBranchClosesPR: deleting a pull request's head branch closes
	// the pull request (GitHub, Gitea), so a branch that is gone has no
	// open pull request to look for. GitLab keeps such a merge request
	// open.
	DeletedBranchClosesPR bool
	// BlobPath joins a repository's web address and a branch in a link
	// to a file: "/blob/" (GitHub, Gitea; the default) or "/-/blob/"
	// (GitLab).
	BlobPath string
	// PullRequestPrefix refers to a pull request by number in Markdown:
	// "#" (GitHub, Gitea; the default) or "!" (a GitLab merge request).
	PullRequestPrefix string
}

// DefaultTraits are GitHub's, the strictest of the forges.
func DefaultTraits() Traits { return Traits{MaxBodyRunes: 60000, DeletedBranchClosesPR: true} }

// Forge is the pull request API of one repository that the life cycle
// needs. Each forge driver implements it.
type Forge interface {
	// ListPullRequests lists the pull requests, open and closed, whose head
	// is branch of the repository itself.
	ListPullRequests(ctx context.Context, branch string) ([]PullRequest, error)
	CreatePullRequest(ctx context.Context, pr NewPullRequest) (PullRequest, error)
	EditPullRequest(ctx context.Context, number int, title, body string) error
	// ClosePullRequest closes a pull request, setting its body in the same call.
	ClosePullRequest(ctx context.Context, number int, body string) error
	Comment(ctx context.Context, number int, body string) error
	Comments(ctx context.Context, number int) ([]string, error)
	AddLabels(ctx context.Context, number int, labels []string) error
	RequestReviewers(ctx context.Context, number int, logins []string) error
	AddAssignees(ctx context.Context, number int, logins []string) error
	DeleteBranch(ctx context.Context, branch string) error
	// Traits are the forge's facts for the life cycle.
	Traits() Traits
}

// RepoInfo is what remedy needs to know of a repository.
type RepoInfo struct {
	Owner, Name, FullName string
	DefaultBranch         string
	CloneURL, HTMLURL     string
	Archived, Fork        bool
}

// Host is one forge as a whole: it reads repositories and hands out the
// Forge of each. Every driver's client implements it.
type Host interface {
	Repository(ctx context.Context, owner, name string) (RepoInfo, error)
	Forge(owner, name string) Forge
}

// TokenSource gives the token that authenticates requests about the
// repositories of owner (an organization, group or user), for the API and
// for git alike. Implementations must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context, owner string) (string, error)
}

// StaticToken is one token for every owner, such as GITHUB_TOKEN.
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token(context.Context, string) (string, error) {
	if t == "" {
		return "", ErrNoToken
	}
	return string(t), nil
}

// ErrNoToken is returned without a token.
var ErrNoToken = errors.New("no forge token: set GITHUB_TOKEN, GITLAB_TOKEN or GITEA_TOKEN")

// The extras that reviews, commit statuses and permission checks ask of a
// repository's forge. The interfaces that use them are declared where they
// are used (package tasks); these are the words they share with drivers.

// ChangedFile is a file a pull request changes.
type ChangedFile struct {
	Path string
	// Removed: the pull request deletes the file.
	Removed bool
	// Patch is the unified diff of the file (hunks only), as the forge
	// shows it; empty for a binary or too large a file.
	Patch string
}

// Review is a review of a pull request, or on forges without reviews as
// such (GitLab), the note that stands for one.
type Review struct {
	ID       int64
	Author   string
	Body     string
	CommitID string
	// ChangesRequested: the review asks for changes and is not dismissed.
	ChangesRequested bool
}

// ReviewComment is a comment on lines StartLine..Line (StartLine 0 or equal
// to Line for one line) of Path at the head of a pull request.
type ReviewComment struct {
	Path            string
	Line, StartLine int
	Body            string
}

// NewReview is a review to post: it requests changes at CommitID.
type NewReview struct {
	CommitID string
	Body     string
	Comments []ReviewComment
}

// ErrReviewCommentsRefused is returned by a driver that posted no review
// because the forge refused one of its line comments (the lines are not in
// the diff any more); a review without comments may still go up.
var ErrReviewCommentsRefused = errors.New("the forge refused the review's line comments")

// Commit status states.
const (
	StatusPending = "pending"
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusError   = "error"
)

// CommitStatus is a status of a commit, under a context name.
type CommitStatus struct {
	State, Description, Context string
}
