package gitops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/render"
)

// oneRepoHost is a Host of one repository.
type oneRepoHost struct{ info RepoInfo }

func (h oneRepoHost) Repository(_ context.Context, owner, name string) (RepoInfo, error) {
	if owner+"/"+name != h.info.FullName {
		return RepoInfo{}, errors.New("no such repository")
	}
	return h.info, nil
}

func (h oneRepoHost) Forge(string, string) Forge { return nil }

func TestOpenRepository(t *testing.T) {
	live := RepoInfo{Owner: "acme", Name: "shop", FullName: "acme/shop", DefaultBranch: "main"}
	archived := live
	archived.Archived = true
	tests := []struct {
		name     string
		info     RepoInfo
		base     string
		readOnly bool
		wantBase string
		wantErr  error
	}{
		{name: "default branch", info: live, wantBase: "main"},
		{name: "another base", info: live, base: "release-1", wantBase: "release-1"},
		{name: "archived", info: archived, wantBase: "main", wantErr: ErrArchived},
		{name: "archived, read only", info: archived, readOnly: true, wantBase: "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenRepository(context.Background(), oneRepoHost{tt.info}, "acme", "shop", tt.base, tt.readOnly)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			// Filled even when refused: the answer names the repository.
			if got.Repo.FullName != "acme/shop" || got.Base != tt.wantBase {
				t.Errorf("result %q on %q, want acme/shop on %q", got.Repo.FullName, got.Base, tt.wantBase)
			}
		})
	}
	if _, err := OpenRepository(context.Background(), oneRepoHost{live}, "acme", "gone", "", false); err == nil {
		t.Error("a repository the forge does not have was opened")
	}
}

// TestCloneBaseTellsCloneErrors: a clone that fails is a *CloneError,
// which a caller explains (a cluster's revision that is not a branch).
func TestCloneBaseTellsCloneErrors(t *testing.T) {
	_, err := CloneBase(context.Background(), RepoInfo{FullName: "acme/shop", CloneURL: "not a URL"}, "main", "", render.Budgets{})
	var ce *CloneError
	if !errors.As(err, &ce) || ce.Error() != err.Error() {
		t.Errorf("error %v (%T), want a *CloneError", err, err)
	}
}

// The budgets are inputs of a run when they are not the defaults: a
// raised budget may scan a file the last run refused.
func TestInputsHashBudgets(t *testing.T) {
	bot := DefaultBot()
	plain := InputsHash("v1", bot, BranchPrefix, render.Budgets{}, false)
	for _, tt := range []struct {
		name    string
		budgets render.Budgets
		same    bool
	}{
		{"defaults written out", render.Budgets{}.WithDefaults(), true},
		{"more documents", render.Budgets{Load: scanner.Budgets{MaxDocuments: 20_000}}, false},
		{"a shorter render", render.Budgets{Helm: helm.Budget{Timeout: time.Second}}, false},
		{"smaller files", render.Budgets{MaxFileSize: 1 << 20}, false},
	} {
		if got := InputsHash("v1", bot, BranchPrefix, tt.budgets, false); (got == plain) != tt.same {
			t.Errorf("%s: hash %s, default budgets' %s; same = %v, want %v", tt.name, got, plain, got == plain, tt.same)
		}
	}
	// The operator's dashboard default wakes idle repositories once.
	if InputsHash("v1", bot, BranchPrefix, render.Budgets{}, true) == plain {
		t.Error("turning the dashboard default on kept the inputs hash: idle repositories would never open their dashboard")
	}
}
