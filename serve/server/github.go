package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	ghforge "github.com/remedy-bot/remedy/gitops/forge/github"
	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/serve/chatcommand"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// webhookAnswer is the body of a webhook answer, for humans reading
// GitHub's "Recent Deliveries" page.
type webhookAnswer struct {
	Job       int64  `json:"job,omitempty"`
	Coalesced bool   `json:"coalesced,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Ignored   string `json:"ignored,omitempty"`
	Error     string `json:"error,omitempty"`
}

// github handles POST /webhooks/github. The signature is checked on the
// raw body as it is read, before anything in it is parsed.
func (s *Server) github(w http.ResponseWriter, r *http.Request) {
	const source = "github"
	secret := s.o.Secrets.WebhookSecret
	if len(secret) == 0 {
		writeJSON(w, http.StatusServiceUnavailable, webhookAnswer{Error: "webhook secret not configured"})
		return
	}
	body, release, status, err := s.readBody(w, r, webhook.GitHubMaxPayload, func(body io.Reader, max int64) ([]byte, error) {
		return webhook.ReadGitHub(body, secret, r.Header.Get(webhook.GitHubSignatureHeader), max)
	})
	if err != nil {
		s.refused(r, source, status, err)
		writeJSON(w, status, webhookAnswer{Error: refusal(status)})
		return
	}
	defer release()
	delivery := r.Header.Get(webhook.GitHubDeliveryHeader)
	event := r.Header.Get(webhook.GitHubEventHeader)
	if delivery == "" || len(delivery) > 128 || event == "" {
		writeJSON(w, http.StatusBadRequest, webhookAnswer{Error: "X-GitHub-Delivery and X-GitHub-Event are required"})
		return
	}
	// GitHub's default content type is form encoding (payload=<url-encoded
	// JSON>); remedy reads JSON only. Refused loudly, so that the hook's
	// "Recent Deliveries" page and the log say what to change, instead of
	// answering 200 to something never read.
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		s.o.Metrics.Delivery(source, event, "rejected")
		s.o.Log.Warn("webhook delivery refused: content type is not JSON; set the webhook's content type to application/json",
			"delivery", delivery, "event", event, "content_type", ct)
		writeJSON(w, http.StatusUnsupportedMediaType, webhookAnswer{Error: fmt.Sprintf("content type %q is not read: set the webhook's Content type to application/json", ct)})
		return
	}
	// A comment (or a dashboard edit) by remedy itself must never be
	// taken for a person's, so its login must be known first.
	if (event == "issue_comment" || event == "issues") && !s.botLoginKnown(w, r, source, event, delivery) {
		return
	}
	req, ignored := s.route(event, body)
	if ignored != "" {
		s.o.Metrics.Delivery(source, event, "ignored")
		writeJSON(w, http.StatusOK, webhookAnswer{Ignored: ignored})
		return
	}
	req.Delivery = "github:" + delivery
	s.queueDelivery(w, r, req, source, event)
}

// queueDelivery queues a checked delivery's request and answers the forge:
// the job, or that it coalesced into a waiting one or duplicated a
// delivery seen before; 503 with Retry-After when the queue is full.
func (s *Server) queueDelivery(w http.ResponseWriter, r *http.Request, req jobs.Request, source, event string) {
	e, status, err := s.enqueue(r.Context(), req)
	if err != nil {
		s.o.Metrics.Delivery(source, event, "rejected")
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "60")
		}
		writeJSON(w, status, webhookAnswer{Error: "could not queue the delivery"})
		return
	}
	outcome := "queued"
	switch {
	case e.Duplicate:
		outcome = "duplicate"
	case e.Coalesced:
		outcome = "coalesced"
	}
	s.o.Metrics.Delivery(source, event, outcome)
	s.o.Log.Debug("delivery queued", "delivery", req.Delivery, "event", event, "repo", req.Repo, "job", e.JobID, "outcome", outcome)
	writeJSON(w, status, webhookAnswer{Job: e.JobID, Coalesced: e.Coalesced, Duplicate: e.Duplicate})
}

func reason(err error) string {
	switch {
	case errors.Is(err, webhook.ErrUnsigned):
		return "unsigned"
	case errors.Is(err, webhook.ErrStale):
		return "stale"
	default:
		return "bad-signature"
	}
}

// route turns a verified delivery into a job request, or says why it is
// ignored.
func (s *Server) route(event string, body []byte) (jobs.Request, string) {
	if event == "ping" {
		return jobs.Request{}, "ping"
	}
	ev, err := ghforge.ParseWebhook(event, body)
	if err != nil {
		return jobs.Request{}, fmt.Sprintf("event %s is not handled", event)
	}
	return s.routeEvent(ev, tasks.SourceGitHub)
}

// routeEvent routes a parsed delivery of the forge source (a
// tasks.Source… of a forge); the job's repository names the forge
// (tasks.JobRepo).
func (s *Server) routeEvent(ev webhook.Event, source string) (jobs.Request, string) {
	var req jobs.Request
	var ignored string
	switch ev.Kind {
	case webhook.EventComment:
		req, ignored = s.routeComment(ev, source)
	case webhook.EventPullRequest:
		req, ignored = s.routePullRequest(ev, source)
	case webhook.EventPush:
		req, ignored = routePush(ev, source)
	case webhook.EventIssue:
		req, ignored = s.routeIssue(ev, source)
	default:
		return jobs.Request{}, fmt.Sprintf("event %s is not handled", ev.Kind)
	}
	if ignored == "" {
		req.Repo = tasks.JobRepo(source, req.Repo)
	}
	return req, ignored
}

// isBot says whether login, the author of a comment delivered by source,
// is remedy (its login on that forge, or on GitHub) or any "[bot]".
func (s *Server) isBot(source, login string) bool {
	if strings.HasSuffix(strings.ToLower(login), "[bot]") {
		return true
	}
	for _, src := range []string{tasks.SourceGitHub, source} {
		if bot := s.knownBotLogin(src); bot != "" && strings.EqualFold(login, bot) {
			return true
		}
	}
	return false
}

// knownBotLogin is remedy's login on the forge of source: the configured
// one, else the one learnt; "" while unknown.
func (s *Server) knownBotLogin(source string) string {
	if source == tasks.SourceGitHub && s.o.BotLogin != "" {
		return s.o.BotLogin
	}
	if v, ok := s.botLogins.Load(source); ok {
		return v.(string)
	}
	return ""
}

// botLoginKnown makes remedy's login on the forge of source known before
// a comment of that forge is routed: a comment by remedy itself must never
// be taken for a command. While the forge cannot say, it refuses the
// delivery with 503 (redeliver it from the hook's page) and says false.
func (s *Server) botLoginKnown(w http.ResponseWriter, r *http.Request, source, event, delivery string) bool {
	err := s.learnBotLogin(r.Context(), source)
	if err == nil {
		return true
	}
	s.o.Metrics.Delivery(source, event, "rejected")
	s.o.Log.Warn("comment delivery refused: the bot's login is not known yet", "source", source, "delivery", delivery, "error", err)
	w.Header().Set("Retry-After", "60")
	writeJSON(w, http.StatusServiceUnavailable, webhookAnswer{Error: "the bot's login is not known yet (the forge is unreachable); redeliver later"})
	return false
}

// learnBotLogin asks for remedy's login on the forge of source
// (LearnBotLogin for GitHub, ForgeBotLogins for the others) once it is
// needed and not known, within a few seconds; it is kept once learnt.
// A forge with nothing to ask has nothing to learn.
func (s *Server) learnBotLogin(ctx context.Context, source string) error {
	learn := s.o.ForgeBotLogins[source]
	if source == tasks.SourceGitHub {
		learn = s.o.LearnBotLogin
	}
	if learn == nil || s.knownBotLogin(source) != "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	login, err := learn(ctx)
	if err != nil {
		return err
	}
	if login != "" {
		s.botLogins.Store(source, login)
	}
	return nil
}

// isJSON says whether a Content-Type header names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

func (s *Server) routeComment(ev webhook.Event, source string) (jobs.Request, string) {
	// Edits of old comments are not new commands: re-running "/remedy fix"
	// because someone fixed a typo in it would surprise everyone.
	if ev.Action != "created" {
		return jobs.Request{}, "comment " + ev.Action
	}
	author := ev.CommentAuthor
	if s.isBot(source, author) {
		return jobs.Request{}, "comment by a bot"
	}
	repo := ev.Repo
	if repo == "" {
		return jobs.Request{}, "no repository"
	}
	cmd, err := chatcommand.FromComment(ev.CommentBody, s.o.Known)
	if errors.Is(err, chatcommand.ErrNoCommand) {
		return jobs.Request{}, "no command"
	}
	req := tasks.Request{Source: source, Requester: author, Issue: ev.Issue, IsPR: ev.OnPullRequest}
	var ue *chatcommand.UsageError
	if errors.As(err, &ue) {
		req.Verb, req.Message = chatcommand.Help, ue.Markdown()
		return jobs.Request{Repo: repo, Kind: tasks.KindReply, Payload: req.Payload()}, ""
	}
	req.Verb, req.Controls, req.Reason = cmd.Verb, cmd.Controls, cmd.Reason
	out := jobs.Request{Repo: repo}
	switch cmd.Verb {
	case chatcommand.Fix, chatcommand.Rebase:
		out.Kind = tasks.KindConverge
	case chatcommand.Ignore:
		out.Kind, out.Key = tasks.KindIgnore, cmd.Controls[0]
	case chatcommand.Scan:
		out.Kind = tasks.KindScan
		if req.IsPR {
			out.Kind, out.Key, req.PR = tasks.KindReview, strconv.Itoa(ev.Issue), ev.Issue
		}
	default:
		out.Kind = tasks.KindReply
	}
	out.Payload = req.Payload()
	return out, ""
}

func (s *Server) routePullRequest(ev webhook.Event, source string) (jobs.Request, string) {
	switch ev.Action {
	case "opened", "synchronize", "reopened":
	default:
		return jobs.Request{}, "pull request " + ev.Action
	}
	if s.o.Config != nil && s.o.Config.Review.Disabled {
		return jobs.Request{}, "reviews are disabled"
	}
	// remedy's own fix pull requests need no review by remedy.
	if strings.HasPrefix(ev.HeadRef, "remedy/") && strings.EqualFold(ev.HeadRepo, ev.Repo) {
		return jobs.Request{}, "a remedy fix pull request"
	}
	n := ev.Number
	req := tasks.Request{Source: source, Verb: "review", PR: n, Requester: ev.Sender}
	return jobs.Request{Repo: ev.Repo, Kind: tasks.KindReview, Key: strconv.Itoa(n), Payload: req.Payload()}, ""
}

func routePush(ev webhook.Event, source string) (jobs.Request, string) {
	// Only the default branch has a fix pull request to re-converge. The
	// job reads the default branch from the API again; this only drops
	// the noise of other branches and tags.
	if ev.Ref != "refs/heads/"+ev.DefaultBranch || ev.Deleted {
		return jobs.Request{}, "not a push to the default branch"
	}
	req := tasks.Request{Source: source, Verb: "push", Requester: ev.Sender}
	return jobs.Request{Repo: ev.Repo, Kind: tasks.KindConverge, Payload: req.Payload()}, ""
}
