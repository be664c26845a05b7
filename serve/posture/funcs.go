package posture

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
)

// funcs are the templates' helpers. Every value the templates print is
// escaped by html/template for where it lands (text, attribute, URL): a
// finding's message or a file name comes from a repository, and a
// repository is not trusted.
var funcs = template.FuncMap{
	"fileLink": fileLink,
	"repoPath": repoPath,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"ago":    ago,
	"plural": plural.Count,
}

// repoPath is the repository's page on the server: /repos/owner/name,
// each step of its name escaped (a GitLab group's steps stay steps).
func repoPath(name string) string {
	return "/repos/" + quote.URLPath(name)
}

// ago says how long before now t was, roughly: "3h ago".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
