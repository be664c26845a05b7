package tasks

import (
	"context"
	"fmt"

	"github.com/remedy-bot/remedy/gitops"
)

// What tasks ask of a repository's forge beyond the life cycle's
// gitops.Forge. Each driver's forge implements all three; a forge that
// lacks one makes the task that needs it fail with a clear error.

// reviewForge reads a pull request and its changes, and posts and
// dismisses reviews.
type reviewForge interface {
	PullRequest(ctx context.Context, number int) (gitops.PullRequest, error)
	ChangedFiles(ctx context.Context, number, limit int) ([]gitops.ChangedFile, error)
	Reviews(ctx context.Context, number int) ([]gitops.Review, error)
	CreateReview(ctx context.Context, number int, r gitops.NewReview) (int64, error)
	DismissReview(ctx context.Context, number int, id int64, msg string) error
}

// statusForge sets commit statuses.
type statusForge interface {
	SetStatus(ctx context.Context, sha string, st gitops.CommitStatus) error
}

// permissionForge says who may run commands that change the repository.
type permissionForge interface {
	MayWrite(ctx context.Context, login string) (bool, error)
}

// forge is the life cycle's forge of the task's repository.
func (t *task) forge() gitops.Forge { return t.host.Forge(t.owner, t.name) }

// forgeFor is the task's repository forge as an F, or an error naming what
// the forge does not support.
func forgeFor[F any](t *task, what string) (F, error) {
	f, ok := t.forge().(F)
	if !ok {
		var zero F
		return zero, fmt.Errorf("%s: this forge does not support %s", t.full(), what)
	}
	return f, nil
}
