package tasks

import (
	"context"
	"errors"
	"testing"
)

// A task asks for remedy's login on its own repository's forge: GitHub's
// (configured or learnt) for GitHub, each other forge's of its kind, ""
// while that forge cannot say.
func TestTaskBotLogin(t *testing.T) {
	answer := func(login string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return login, err }
	}
	down := errors.New("dial tcp: connection refused")
	tests := []struct {
		name, kind string
		o          Options
		want       string
	}{
		{"GitHub, configured", "", Options{BotLogin: "remedy-bot", LearnBotLogin: answer("other", nil)}, "remedy-bot"},
		{"GitHub, learnt", "", Options{LearnBotLogin: answer("remedy-bot", nil)}, "remedy-bot"},
		{"GitHub, down", "", Options{LearnBotLogin: answer("", down)}, ""},
		{"Gitea, learnt, not GitHub's", SourceGitea, Options{BotLogin: "remedy-bot",
			ForgeBotLogins: map[string]func(context.Context) (string, error){SourceGitea: answer("remedy-gitea", nil), SourceGitLab: answer("remedy-gitlab", nil)}}, "remedy-gitea"},
		{"GitLab, learnt", SourceGitLab, Options{
			ForgeBotLogins: map[string]func(context.Context) (string, error){SourceGitea: answer("remedy-gitea", nil), SourceGitLab: answer("remedy-gitlab", nil)}}, "remedy-gitlab"},
		{"Gitea, down", SourceGitea, Options{BotLogin: "remedy-bot",
			ForgeBotLogins: map[string]func(context.Context) (string, error){SourceGitea: answer("", down)}}, ""},
		{"GitLab, nothing to ask", SourceGitLab, Options{BotLogin: "remedy-bot"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := &task{h: NewHandler(tt.o), forgeKind: tt.kind}
			tk.log = tk.h.o.Log
			if got := tk.botLogin(context.Background()); got != tt.want {
				t.Errorf("botLogin = %q, want %q", got, tt.want)
			}
		})
	}
}
