package sourcemap

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

func TestRepoURLForms(t *testing.T) {
	tests := []struct {
		url, host, https, clone string
	}{
		{"https://github.com/acme/shop.git", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop.git"},
		{"https://github.com/acme/shop", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop"},
		{"https://github.com/acme/shop/", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop/"},
		{"https://GitHub.com/acme/Shop.git/", "github.com", "https://github.com/acme/Shop", "https://GitHub.com/acme/Shop.git/"},
		{"https://x-access-token:secret@github.com/acme/shop.git", "github.com", "https://github.com/acme/shop", "https://x-access-token:secret@github.com/acme/shop.git"},
		{"https://ghes.example:8443/acme/shop.git", "ghes.example:8443", "https://ghes.example:8443/acme/shop", "https://ghes.example:8443/acme/shop.git"},
		{"http://127.0.0.1:3000/git/acme/shop.git", "127.0.0.1:3000", "http://127.0.0.1:3000/git/acme/shop", "http://127.0.0.1:3000/git/acme/shop.git"},
		{"git@github.com:acme/shop.git", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop.git"},
		{"github.com:acme/shop", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop"},
		{"git@GitHub.com:/acme/shop.git", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop.git"},
		{"ssh://git@github.com/acme/shop.git", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop.git"},
		{"ssh://git@ghes.example:22/acme/shop", "ghes.example", "https://ghes.example/acme/shop", "https://ghes.example/acme/shop"},
		{"ssh://git@ghes.example:2222/acme/shop/", "ghes.example", "https://ghes.example/acme/shop", "https://ghes.example/acme/shop/"},
		{"git+ssh://git@github.com/acme/shop.git", "github.com", "https://github.com/acme/shop", "https://github.com/acme/shop.git"},
		// Not a remote repository remedy can read.
		{"/srv/git/shop.git", "", "", "/srv/git/shop.git"},
		{"./shop", "", "", "./shop"},
		{"file:///srv/git/shop.git", "", "", "file:///srv/git/shop.git"},
		{"git@github.com:~acme/shop.git", "", "", "git@github.com:~acme/shop.git"},
		{"https://github.com", "github.com", "", "https://github.com"},
		{"git@github.com:", "", "", "git@github.com:"},
	}
	for _, tt := range tests {
		if got := RepoHost(tt.url); got != tt.host {
			t.Errorf("RepoHost(%q) = %q, want %q", tt.url, got, tt.host)
		}
		got, ok := HTTPSURL(tt.url)
		if got != tt.https || ok != (tt.https != "") {
			t.Errorf("HTTPSURL(%q) = %q, %v; want %q", tt.url, got, ok, tt.https)
		}
		if got := cloneURL(tt.url); got != tt.clone {
			t.Errorf("cloneURL(%q) = %q, want %q", tt.url, got, tt.clone)
		}
	}
}

func TestClonerSendsTheTokenOnlyToTheForgeOverSSHURLs(t *testing.T) {
	c := &GitCloner{ForgeHost: "github.com", Token: "tok"}
	tests := []struct {
		url       string
		wantToken bool
	}{
		{"git@github.com:acme/shop.git", true},
		{"ssh://git@github.com:22/acme/shop", true},
		{"git@gitlab.com:acme/shop.git", false},
		{"git@github.com.evil.example:acme/shop.git", false},
		{"ssh://git@evil.example/github.com/acme/shop.git", false},
	}
	for _, tt := range tests {
		if got := c.auth(c.cloneURL(tt.url)) != nil; got != tt.wantToken {
			t.Errorf("auth(%s) sends token: %v, want %v", tt.url, got, tt.wantToken)
		}
	}
}

// TestClonerCheckoutSSHURL clones a forge repository named by its SSH
// URLs: over HTTP(S), with the forge's token.
func TestClonerCheckoutSSHURL(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddToken("tok", "remedy-bot")
	srv.CreateRepo("acme", "shop", map[string]string{"a.yaml": "v: 1\n"})
	host := strings.TrimPrefix(srv.URL, "http://")
	// The forge's host, as an SSH URL names it: without the HTTP port.
	sshHost, _, _ := strings.Cut(host, ":")
	c := &GitCloner{ForgeHost: host, Token: "tok", sshBase: map[string]string{sshHost: srv.URL}}
	defer c.Close()
	for _, u := range []string{
		"git@" + sshHost + ":git/acme/shop.git",
		"ssh://git@" + sshHost + "/git/acme/shop.git",
		"ssh://git@" + sshHost + ":22/git/acme/shop.git",
	} {
		dir, err := c.Checkout(context.Background(), u, "main")
		if err != nil {
			t.Errorf("Checkout(%s): %v", u, err)
			continue
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "a.yaml")); string(b) != "v: 1\n" {
			t.Errorf("Checkout(%s): a.yaml = %q", u, b)
		}
	}
	// A wrong token fails, and the error names the URL the user wrote and
	// the one cloned, never the token.
	bad := &GitCloner{ForgeHost: host, Token: "sekrit-token", sshBase: map[string]string{sshHost: srv.URL}}
	defer bad.Close()
	_, err := bad.Checkout(context.Background(), "git@"+sshHost+":git/acme/shop.git", "main")
	if err == nil {
		t.Fatal("clone with a wrong token: want an error")
	}
	if strings.Contains(err.Error(), "sekrit") || !strings.Contains(err.Error(), "git@"+sshHost+":git/acme/shop.git") ||
		!strings.Contains(err.Error(), "over HTTPS") {
		t.Errorf("error %q: want the SSH URL and how it was cloned, and no token", err)
	}
}
