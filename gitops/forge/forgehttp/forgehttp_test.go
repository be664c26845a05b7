package forgehttp

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
)

func TestAPIRoot(t *testing.T) {
	tests := []struct {
		web, api, want, err string
	}{
		{web: "https://gitea.example.com", api: "api/v1", want: "https://gitea.example.com/api/v1/"},
		{web: "https://gitea.example.com/", api: "api/v1", want: "https://gitea.example.com/api/v1/"},
		{web: "http://git.example.com/gitea/?x=1#top", api: "api/v1", want: "http://git.example.com/gitea/api/v1/"},
		{web: "https://gitlab.example.com/sub/api/v4", api: "api/v4", want: "https://gitlab.example.com/sub/api/v4/"},
		{web: "https://gitlab.example.com/sub/api/v4/", api: "/api/v4/", want: "https://gitlab.example.com/sub/api/v4/"},
		{web: "", api: "api/v1", err: `Forge URL "": want an http(s) URL such as https://forge.example.com/`},
		{web: "gitea.example.com", api: "api/v1", err: "want an http(s) URL"},
		{web: "ftp://gitea.example.com/", api: "api/v1", err: "want an http(s) URL"},
		{web: "https://user:secret@gitea.example.com/", api: "api/v1", err: "Forge URL carries credentials; pass the token instead"},
	}
	for _, tt := range tests {
		u, err := APIRoot("Forge", tt.web, tt.api, "https://forge.example.com/")
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("%q: error %v, want one with %q (and no password)", tt.web, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.web, err)
		case u.String() != tt.want:
			t.Errorf("%q: %s, want %s", tt.web, u, tt.want)
		}
	}
}

func TestTransport(t *testing.T) {
	mine := &http.Transport{}
	if Transport(mine) != mine {
		t.Error("a given transport was replaced")
	}
	d, ok := Transport(nil).(*http.Transport)
	if !ok || d.ResponseHeaderTimeout <= 0 || d == http.DefaultTransport {
		t.Errorf("default transport %#v: want a clone with a response header timeout", d)
	}
}

func TestNoTokenError(t *testing.T) {
	err := NoTokenError("no Gitea token: set GITEA_TOKEN")
	if !errors.Is(err, gitops.ErrNoToken) || err.Error() != "no Gitea token: set GITEA_TOKEN" {
		t.Errorf("%v: want a gitops.ErrNoToken saying what to set", err)
	}
}

func TestPages(t *testing.T) {
	// Three pages of two, numbered as the forges do: 1, 2, 3.
	pages := map[int64][]int{0: {1, 2}, 2: {3, 4}, 3: {5, 6}}
	next := map[int64]int64{0: 2, 2: 3, 3: 0}
	var asked []int64
	fetch := func(n int64) ([]int, int64, error) {
		asked = append(asked, n)
		return pages[n], next[n], nil
	}
	tests := []struct {
		limit int
		want  []int
		asked []int64
	}{
		{0, []int{1, 2, 3, 4, 5, 6}, []int64{0, 2, 3}},
		{3, []int{1, 2, 3, 4}, []int64{0, 2}},
		{2, []int{1, 2}, []int64{0}},
		{100, []int{1, 2, 3, 4, 5, 6}, []int64{0, 2, 3}},
	}
	for _, tt := range tests {
		asked = nil
		got, err := Pages(tt.limit, fetch)
		if err != nil || !slices.Equal(got, tt.want) || !slices.Equal(asked, tt.asked) {
			t.Errorf("limit %d: %v %v after pages %v; want %v after %v", tt.limit, got, err, asked, tt.want, tt.asked)
		}
	}
	boom := errors.New("boom")
	if got, err := Pages(0, func(n int) ([]int, int, error) {
		if n == 0 {
			return []int{1}, 2, nil
		}
		return nil, 0, boom
	}); !errors.Is(err, boom) || got != nil {
		t.Errorf("failed second page: %v %v, want the error and nothing", got, err)
	}
}

func TestIdempotent(t *testing.T) {
	for m, want := range map[string]bool{
		http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true, http.MethodPut: true, http.MethodDelete: true,
		http.MethodPost: false, http.MethodPatch: false,
	} {
		if Idempotent(m) != want {
			t.Errorf("Idempotent(%s) = %v", m, !want)
		}
	}
}

func TestSleepStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sleep: %v", err)
	}
	if err := Sleep(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("short sleep: %v", err)
	}
}

func TestLoginAsksOnceAndForgetsErrors(t *testing.T) {
	var l Login
	calls := 0
	fail := true
	ask := func(context.Context) (string, error) {
		calls++
		if fail {
			return "", errors.New("forge down")
		}
		return "remedy-bot", nil
	}
	if _, err := l.Get(context.Background(), ask); err == nil {
		t.Fatal("the forge's error was not returned")
	}
	fail = false
	for range 3 {
		got, err := l.Get(context.Background(), ask)
		if err != nil || got != "remedy-bot" {
			t.Fatalf("Get = %q, %v", got, err)
		}
	}
	if calls != 2 {
		t.Errorf("asked %d times, want 2 (once failing, once answered, then kept)", calls)
	}
}

// TestLoginKeepsAnEmptyAnswer: a GitHub App installation's empty login is
// an answer, asked once; a nil Login asks every time.
func TestLoginKeepsAnEmptyAnswer(t *testing.T) {
	calls := 0
	ask := func(context.Context) (string, error) { calls++; return "", nil }
	var l Login
	for range 3 {
		if got, err := l.Get(context.Background(), ask); err != nil || got != "" {
			t.Fatalf("Get = %q, %v", got, err)
		}
	}
	if calls != 1 {
		t.Errorf("asked %d times, want 1", calls)
	}
	var none *Login
	for range 2 {
		if _, err := none.Get(context.Background(), ask); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 3 {
		t.Errorf("a nil Login asked %d times in all, want 3", calls)
	}
}
