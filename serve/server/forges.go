package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/remedy-bot/remedy/gitops/forge/gitea"
	"github.com/remedy-bot/remedy/gitops/forge/gitlab"
	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// maxForgePayload caps Gitea's and GitLab's deliveries, as GitHub's are.
const maxForgePayload = 25 << 20

// forgeHook is how one forge's deliveries are checked and read.
type forgeHook struct {
	source                      string // tasks.Source…, and the metrics' source
	deliveryHeader, eventHeader string
	// read checks the delivery's secret and reads its body: the body
	// is read only as far as the check needs before it holds.
	read  func(secret []byte, r *http.Request) ([]byte, error)
	parse func(event string, body []byte) (webhook.Event, error)
}

var giteaHook = forgeHook{
	source: tasks.SourceGitea, deliveryHeader: webhook.GiteaDeliveryHeader, eventHeader: webhook.GiteaEventHeader,
	read: func(secret []byte, r *http.Request) ([]byte, error) {
		return webhook.ReadGitea(r.Body, secret, r.Header.Get(webhook.GiteaSignatureHeader), maxForgePayload)
	},
	parse: gitea.ParseWebhook,
}

var gitlabHook = forgeHook{
	source: tasks.SourceGitLab, deliveryHeader: webhook.GitLabEventUUID, eventHeader: webhook.GitLabEventHeader,
	read: func(secret []byte, r *http.Request) ([]byte, error) {
		// GitLab sends the secret itself: checked before the body is read.
		if err := webhook.VerifyGitLab(secret, r.Header.Get(webhook.GitLabTokenHeader)); err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxForgePayload+1))
		if err == nil && len(body) > maxForgePayload {
			err = webhook.ErrTooLarge
		}
		return body, err
	},
	parse: gitlab.ParseWebhook,
}

// gitea handles POST /webhooks/gitea (Gitea and Forgejo).
func (s *Server) gitea(w http.ResponseWriter, r *http.Request) { s.forgeDelivery(w, r, giteaHook) }

// gitlab handles POST /webhooks/gitlab.
func (s *Server) gitlab(w http.ResponseWriter, r *http.Request) { s.forgeDelivery(w, r, gitlabHook) }

// forgeDelivery checks, routes and queues a delivery of a forge other
// than GitHub, the way the GitHub endpoint does: the secret is checked
// before anything in the body is read.
func (s *Server) forgeDelivery(w http.ResponseWriter, r *http.Request, h forgeHook) {
	secret := s.o.Secrets.Forges[h.source].WebhookSecret
	if len(secret) == 0 {
		writeJSON(w, http.StatusServiceUnavailable, webhookAnswer{Error: "webhook secret not configured"})
		return
	}
	if r.ContentLength > maxForgePayload {
		writeJSON(w, http.StatusRequestEntityTooLarge, webhookAnswer{Error: "payload too large"})
		return
	}
	body, err := h.read(secret, r)
	if errors.Is(err, webhook.ErrTooLarge) {
		writeJSON(w, http.StatusRequestEntityTooLarge, webhookAnswer{Error: "payload too large"})
		return
	}
	if err != nil {
		s.o.Metrics.SignatureFailure(h.source, reason(err))
		s.o.Log.Warn("webhook refused", "source", h.source, "reason", reason(err), "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, webhookAnswer{Error: "bad signature"})
		return
	}
	delivery, event := r.Header.Get(h.deliveryHeader), r.Header.Get(h.eventHeader)
	if event == "" || len(delivery) > 128 {
		writeJSON(w, http.StatusBadRequest, webhookAnswer{Error: h.eventHeader + " is required"})
		return
	}
	ev, err := h.parse(event, body)
	if err != nil {
		s.o.Metrics.Delivery(h.source, event, "ignored")
		writeJSON(w, http.StatusOK, webhookAnswer{Ignored: "event " + event + " is not handled"})
		return
	}
	if (ev.Kind == webhook.EventComment || ev.Kind == webhook.EventIssue) && !s.botLoginKnown(w, r, h.source, event, delivery) {
		return
	}
	req, ignored := s.routeEvent(ev, h.source)
	if ignored != "" {
		s.o.Metrics.Delivery(h.source, event, "ignored")
		writeJSON(w, http.StatusOK, webhookAnswer{Ignored: ignored})
		return
	}
	if delivery != "" {
		// Without a delivery ID (GitLab before 17.x), a redelivery is
		// queued again; the life cycle makes that harmless.
		req.Delivery = h.source + ":" + delivery
	}
	s.queueDelivery(w, r, req, h.source, event)
}
