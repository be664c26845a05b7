package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/serve/chatcommand"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// maxSlackPayload bounds a slash command's form body; real ones are a few
// hundred bytes.
const maxSlackPayload = 64 << 10

// slack handles POST /slack/commands: verify, answer help and status at
// once, queue fix and scan and acknowledge them; the result goes to the
// response_url when the job ends. Every answer is ephemeral: only the
// person who typed the command sees it.
func (s *Server) slack(w http.ResponseWriter, r *http.Request) {
	const source = "slack"
	secret := s.o.Secrets.SlackSigningSecret
	if len(secret) == 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Slack signing secret not configured"})
		return
	}
	body, release, status, err := s.readBody(w, r, maxSlackPayload, func(body io.Reader, max int64) ([]byte, error) {
		return webhook.ReadSlack(body, secret, r.Header.Get(webhook.SlackTimestampHeader), r.Header.Get(webhook.SlackSignatureHeader), s.o.Clock.Now(), max)
	})
	if err != nil {
		s.refused(r, source, status, err)
		writeJSON(w, status, map[string]string{"error": refusal(status)})
		return
	}
	defer release()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "not a form"})
		return
	}
	if form.Get("ssl_check") == "1" {
		writeText(w, http.StatusOK, "")
		return
	}
	sc := slack.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
	}
	cmd, err := chatcommand.FromSlack(sc.Text, s.o.Known)
	var ue *chatcommand.UsageError
	if errors.As(err, &ue) {
		s.o.Metrics.Delivery(source, "usage", "ignored")
		ephemeral(w, ue.Slack()+"\n\n"+chatcommand.SlackHelp)
		return
	}
	switch cmd.Verb {
	case chatcommand.Help:
		s.o.Metrics.Delivery(source, cmd.Verb, "answered")
		ephemeral(w, chatcommand.SlackHelp)
		return
	case chatcommand.Status:
		s.o.Metrics.Delivery(source, cmd.Verb, "answered")
		s.status(w, r, cmd.Repo)
		return
	}
	if !s.o.Config.SlackAllows(sc.UserID, sc.ChannelID, cmd.Verb, cmd.Repo) {
		s.o.Metrics.Delivery(source, cmd.Verb, "denied")
		s.o.Log.Info("Slack command denied", "user", sc.UserID, "channel", sc.ChannelID, "verb", cmd.Verb, "repo", cmd.Repo)
		ephemeral(w, fmt.Sprintf("Sorry, you may not run `%s` on %s from here. The remedy server's config (slack.allow) grants it per user, channel and repository.", cmd.Verb, quote.Slack(cmd.Repo)))
		return
	}
	// The response_url is in the signed body, but it is still a URL from
	// a request: follow it only to Slack's own hosts.
	if !s.o.Config.SlackResponseURLAllowed(sc.ResponseURL) {
		s.o.Metrics.Delivery(source, cmd.Verb, "rejected")
		ephemeral(w, "This request's response_url is not one remedy posts to (slack.responseURLPrefixes).")
		return
	}
	req := tasks.Request{Source: tasks.SourceSlack, Verb: cmd.Verb, Controls: cmd.Controls, Requester: sc.UserID, ResponseURL: sc.ResponseURL}
	jr := jobs.Request{Repo: cmd.Repo, Kind: tasks.KindConverge, Payload: req.Payload()}
	if cmd.Verb == chatcommand.Scan {
		jr.Kind = tasks.KindScan
	}
	if sc.TriggerID != "" {
		jr.Delivery = "slack:" + sc.TriggerID
	}
	e, _, err := s.enqueue(r.Context(), jr)
	if err != nil {
		s.o.Metrics.Delivery(source, cmd.Verb, "rejected")
		ephemeral(w, "remedy could not queue this right now ("+errText(err)+"); try again in a minute.")
		return
	}
	outcome, note := "queued", ""
	if e.Coalesced || e.Duplicate {
		outcome, note = "coalesced", " (joined a run already waiting)"
	}
	s.o.Metrics.Delivery(source, cmd.Verb, outcome)
	ephemeral(w, fmt.Sprintf("On it: `%s` for %s is queued as job %d%s. The result will be posted here.", cmd.Verb, quote.Slack(cmd.Repo), e.JobID, note))
}

func errText(err error) string {
	if errors.Is(err, jobs.ErrQueueFull) {
		return "the queue is full"
	}
	return "internal error"
}

// status answers /remedy status with the latest runs.
func (s *Server) status(w http.ResponseWriter, r *http.Request, repo string) {
	hist, err := s.o.Queue.History(r.Context(), repo, 10)
	if err != nil {
		s.o.Log.Error("status: read history", "error", err)
		ephemeral(w, "remedy could not read its history right now.")
		return
	}
	ephemeral(w, FormatStatus(repo, hist, s.o.Clock.Now()))
}

// FormatStatus renders job history for Slack. Results and errors can
// quote repository content: they are escaped for Slack and cut.
func FormatStatus(repo string, hist []jobs.Job, now time.Time) string {
	scope := "any repository"
	if repo != "" {
		scope = quote.Slack(repo)
	}
	if len(hist) == 0 {
		return "No remedy runs for " + scope + " yet."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Latest remedy runs for %s:\n", scope)
	for _, j := range hist {
		when := j.Created
		if !j.Finished.IsZero() {
			when = j.Finished
		}
		line := fmt.Sprintf("• #%d %s %s: *%s*, %s ago", j.ID, j.Kind, quote.SlackText(j.Repo, 0), j.State, now.Sub(when).Round(time.Second))
		switch {
		case j.Error != "":
			line += ": " + quote.SlackText(j.Error, quote.Limit)
		case j.Result != "":
			line += ": " + quote.SlackText(j.Result, quote.Limit)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func ephemeral(w http.ResponseWriter, text string) {
	writeJSON(w, http.StatusOK, slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text})
}
