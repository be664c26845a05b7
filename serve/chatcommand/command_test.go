package chatcommand

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/quote"
)

func known(id string) bool {
	return map[string]bool{"privileged": true, "read-only-root-filesystem": true, "run-as-non-root": true}[id]
}

func TestFromComment(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Command
		wantErr string // "" ok, "none" ErrNoCommand, else a UsageError containing it
	}{
		{"plain fix", "/remedy fix", Command{Verb: Fix}, ""},
		{"fix controls", "/remedy fix privileged run-as-non-root", Command{Verb: Fix, Controls: []string{"privileged", "run-as-non-root"}}, ""},
		{"after prose, CRLF", "Thanks!\r\n\r\n  /remedy rebase  \r\n", Command{Verb: Rebase}, ""},
		{"case of the verb", "/remedy FIX", Command{Verb: Fix}, ""},
		{"ignore with reason", "/remedy ignore read-only-root-filesystem nginx writes its cache to /var/cache/nginx",
			Command{Verb: Ignore, Controls: []string{"read-only-root-filesystem"}, Reason: "nginx writes its cache to /var/cache/nginx"}, ""},
		{"bare /remedy is help", "/remedy", Command{Verb: Help}, ""},
		{"scan", "/remedy scan", Command{Verb: Scan}, ""},
		{"first command wins", "/remedy scan\n/remedy fix", Command{Verb: Scan}, ""},
		{"no command", "LGTM, ship it", Command{}, "none"},
		{"mention in prose is not a command", "you can type /remedy fix to fix it", Command{}, "none"},
		{"quoted command is not a command", "> /remedy fix\nwhy would we?", Command{}, "none"},
		{"fenced command is not a command", "```\n/remedy fix\n```", Command{}, "none"},
		{"another bot's prefix", "/remedyx fix", Command{}, "none"},
		{"ignore without reason", "/remedy ignore privileged", Command{}, "needs a control and a reason"},
		{"unknown control", "/remedy fix privileged no-such-thing", Command{}, `unknown control "no-such-thing"`},
		{"malformed control", "/remedy fix ../../etc", Command{}, "unknown control"},
		{"unknown verb", "/remedy deploy", Command{}, `unknown command "deploy"`},
		{"status is for Slack", "/remedy status", Command{}, "Slack command"},
		{"rebase takes no argument", "/remedy rebase now", Command{}, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromComment(tt.body, known)
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
			case "none":
				if !errors.Is(err, ErrNoCommand) {
					t.Errorf("got %+v, %v; want ErrNoCommand", got, err)
				}
			default:
				var ue *UsageError
				if !errors.As(err, &ue) || !contains(ue.Error(), tt.wantErr) {
					t.Errorf("err %v, want a usage error with %q", err, tt.wantErr)
				}
			}
		})
	}
}

func TestFromSlack(t *testing.T) {
	tests := []struct {
		text    string
		want    Command
		wantErr string
	}{
		{"", Command{Verb: Help}, ""},
		{"help", Command{Verb: Help}, ""},
		{"fix acme/shop", Command{Verb: Fix, Repo: "acme/shop"}, ""},
		{"fix acme/shop.git privileged", Command{Verb: Fix, Repo: "acme/shop", Controls: []string{"privileged"}}, ""},
		{"scan acme/shop", Command{Verb: Scan, Repo: "acme/shop"}, ""},
		{"status", Command{Verb: Status}, ""},
		{"status acme/shop", Command{Verb: Status, Repo: "acme/shop"}, ""},
		{"fix", Command{}, "needs a repository"},
		{"scan shop", Command{}, "is not a repository"},
		{"scan https://evil.example/acme/shop", Command{}, "is not a repository"},
		{"scan acme/shop extra", Command{}, "takes no arguments"},
		{"rebase acme/shop", Command{}, "GitHub comment command"},
		{"ignore acme/shop privileged because", Command{}, "GitHub comment command"},
		{"fix acme/shop nope", Command{}, `unknown control "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := FromSlack(tt.text, known)
			if tt.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !contains(ue.Error(), tt.wantErr) {
					t.Errorf("err %v, want a usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	for verb, want := range map[string]bool{Fix: true, Rebase: true, Ignore: true, Scan: false, Help: false, Status: false} {
		if got := (Command{Verb: verb}).Changes(); got != want {
			t.Errorf("%s: Changes() = %v, want %v", verb, got, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestUsageErrorsQuoteWhatWasTyped: a word remedy could not read is echoed
// quoted for the medium and cut, whatever it holds.
func TestUsageErrorsQuoteWhatWasTyped(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	tests := []struct {
		name, comment, word, format string
	}{
		{"1 MB control", "/remedy fix " + huge, huge, "unknown control %s (`remedy controls` lists them)"},
		{"html comment control", "/remedy ignore <!-- because", "<!--", "unknown control %s (`remedy controls` lists them)"},
		{"mention as command", "/remedy @org/team", "@org/team", "unknown command %s"},
		{"image as argument", "/remedy rebase ![x](http://evil.example/p.png)", "![x](http://evil.example/p.png)", "`/remedy rebase` takes no arguments here, got %s"},
		{"backticks", "/remedy ``x``", "``x``", "unknown command %s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromComment(tt.comment, nil)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("err %v, want a UsageError", err)
			}
			if got, want := ue.Markdown(), fmt.Sprintf(tt.format, quote.Code(tt.word)); got != want {
				t.Errorf("Markdown:\n%.300s\nwant\n%.300s", got, want)
			}
			if got, want := ue.Slack(), fmt.Sprintf(tt.format, quote.Slack(tt.word)); got != want {
				t.Errorf("Slack:\n%.300s\nwant\n%.300s", got, want)
			}
			if len(ue.Error()) > 2*quote.Limit+100 {
				t.Errorf("Error is %d bytes long", len(ue.Error()))
			}
		})
	}
}
