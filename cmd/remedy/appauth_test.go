package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

const cliAppID = "4242"

var (
	cliKeyOnce sync.Once
	cliKey     *rsa.PrivateKey
)

// appKeyFiles writes the test App's key as PKCS#1 and PKCS#8 PEM files.
func appKeyFiles(t *testing.T) (key *rsa.PrivateKey, pkcs1, pkcs8 string) {
	t.Helper()
	cliKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		cliKey = k
	})
	p8, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkcs1, pkcs8 = filepath.Join(dir, "app.pkcs1.pem"), filepath.Join(dir, "app.pkcs8.pem")
	for p, b := range map[string]*pem.Block{
		pkcs1: {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(cliKey)},
		pkcs8: {Type: "PRIVATE KEY", Bytes: p8},
	} {
		if err := os.WriteFile(p, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cliKey, pkcs1, pkcs8
}

// appForge starts a fake GitHub where the test App is installed on acme
// and other, and no token is valid: everything must go through the App.
func appForge(t *testing.T) (s *githubtest.Server, pkcs1, pkcs8 string) {
	t.Helper()
	key, pkcs1, pkcs8 := appKeyFiles(t)
	s = githubtest.New(t)
	s.AddApp(4242, &key.PublicKey)
	s.AddInstallation(4242, 1, "acme")
	s.AddInstallation(4242, 2, "other")
	t.Setenv("GITHUB_API_URL", s.APIURL())
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("REMEDY_APP_ID", "")
	t.Setenv("REMEDY_APP_KEY_FILE", "")
	t.Setenv("REMEDY_CACHE_DIR", t.TempDir())
	return s, pkcs1, pkcs8
}

// assertNoSecret fails when an installation token, a JWT or the private
// key shows in the output.
func assertNoSecret(t *testing.T, r result, keyFiles ...string) {
	t.Helper()
	secrets := []string{"ghs_", "eyJhbGciOi"}
	for _, f := range keyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		secrets = append(secrets, lines[1], lines[len(lines)/2])
	}
	for _, s := range secrets {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("a secret (%.10s…) leaked into the output:\nstdout:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
		}
	}
}

func TestPRCommandAppAuth(t *testing.T) {
	s, pkcs1, pkcs8 := appForge(t)
	s.CreateRepo("acme", "shop", map[string]string{".remedy.yaml": onlyPrivileged, "deploy/web.yaml": privilegedDeployment})

	r := runCLI(t, "", "pr", "acme/shop", "--app-id", cliAppID, "--app-key-file", pkcs8, "--log-level", "debug")
	assertNoSecret(t, r, pkcs1, pkcs8)
	if r.code != exitOK || !strings.Contains(r.stdout, "created") || !strings.Contains(r.stdout, "#1 ") {
		t.Fatalf("pr: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "created GitHub App installation token") {
		t.Errorf("no installation token was created:\n%s", r.stderr)
	}
	prs := s.PullRequests("acme", "shop")
	if len(prs) != 1 || prs[0].GetUser().GetLogin() != "app-4242[bot]" {
		t.Fatalf("pull requests %v, want one by app-4242[bot]", prs)
	}
	// The fake GitHub knows no other credential: the branch was pushed
	// with the installation token.
	if c, _ := s.ReadFile("acme", "shop", "remedy/security-fixes", "deploy/web.yaml"); !strings.Contains(c, "privileged: false") {
		t.Errorf("branch content:\n%s", c)
	}

	// The environment works as the flags do, and a rerun changes nothing.
	t.Setenv("REMEDY_APP_ID", cliAppID)
	t.Setenv("REMEDY_APP_KEY_FILE", pkcs1)
	r = runCLI(t, "", "pr", "acme/shop", "--log-level", "debug")
	assertNoSecret(t, r, pkcs1, pkcs8)
	if r.code != exitOK || !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestSweepCommandAppAuth(t *testing.T) {
	s, pkcs1, _ := appForge(t)
	fixable := map[string]string{".remedy.yaml": onlyPrivileged, "deploy/web.yaml": privilegedDeployment}
	s.CreateRepo("acme", "svc-web", fixable)
	s.CreateRepo("acme", "svc-api", fixable)
	s.CreateRepo("other", "tool", fixable)
	s.CreateRepo("stranger", "tool", fixable) // the App is not installed there
	cfg := writeSweepConfig(t, "repositories: [other/tool, stranger/tool]\nowners:\n  - name: acme\n")

	r := runCLI(t, "", "sweep", "--config", cfg, "--app-id", cliAppID, "--app-key-file", pkcs1, "--concurrency", "4", "-o", "json", "--log-level", "debug")
	assertNoSecret(t, r, pkcs1)
	if r.code != exitError {
		t.Errorf("exit %d, want %d (stranger/tool failed)\nstderr:\n%s", r.code, exitError, r.stderr)
	}
	var rows []sweepRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("JSON summary: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for _, row := range rows {
		got[row.Repo] = row.Status
		for _, b := range row.Branches {
			got[row.Repo] += " " + b.Action
		}
		if row.Repo == "stranger/tool" && !strings.Contains(row.Error, "not installed") {
			t.Errorf("stranger/tool: error %q, want it to say the App is not installed", row.Error)
		}
	}
	want := map[string]string{"acme/svc-web": "ok created", "acme/svc-api": "ok created", "other/tool": "ok created", "stranger/tool": "failed"}
	for repo, w := range want {
		if got[repo] != w {
			t.Errorf("%s: %q, want %q", repo, got[repo], w)
		}
	}
	if n := strings.Count(r.stderr, "created GitHub App installation token"); n != 2 {
		t.Errorf("%d installation tokens created, want 2 (acme and other, once each)\n%s", n, r.stderr)
	}
}

func TestAppAuthFlagErrors(t *testing.T) {
	s, pkcs1, _ := appForge(t)
	s.CreateRepo("acme", "shop", map[string]string{"a.yaml": "a: 1\n"})
	notPEM := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(notPEM, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"token and app flags", map[string]string{"GITHUB_TOKEN": "ghp_x"}, []string{"--app-id", cliAppID, "--app-key-file", pkcs1}, "use one"},
		{"token and app env", map[string]string{"GITHUB_TOKEN": "ghp_x", "REMEDY_APP_ID": cliAppID, "REMEDY_APP_KEY_FILE": pkcs1}, nil, "use one"},
		{"neither", nil, nil, "set GITHUB_TOKEN, or --app-id and --app-key-file"},
		{"app id alone", nil, []string{"--app-id", cliAppID}, "--app-id needs --app-key-file"},
		{"key file alone", map[string]string{"REMEDY_APP_KEY_FILE": pkcs1}, nil, "--app-key-file needs --app-id"},
		{"negative app id", nil, []string{"--app-id", "-1", "--app-key-file", pkcs1}, "positive"},
		{"app id not a number", map[string]string{"REMEDY_APP_ID": "remedy"}, []string{"--app-key-file", pkcs1}, "REMEDY_APP_ID"},
		{"missing key file", nil, []string{"--app-id", cliAppID, "--app-key-file", "/no/such/key.pem"}, "/no/such/key.pem"},
		{"not a PEM key", nil, []string{"--app-id", cliAppID, "--app-key-file", notPEM}, "no PEM block"},
		{"wrong app", nil, []string{"--app-id", "7", "--app-key-file", pkcs1}, "401"},
		{"not installed", nil, []string{"--app-id", cliAppID, "--app-key-file", pkcs1, "stranger/shop"}, "not installed"},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"pr", "sweep"} {
			t.Run(tt.name+"/"+cmd, func(t *testing.T) {
				if cmd == "sweep" && tt.name == "not installed" {
					t.Skip("sweep reports it per repository; see TestSweepCommandAppAuth")
				}
				for k, v := range tt.env {
					t.Setenv(k, v)
				}
				args := append([]string{cmd}, tt.args...)
				if cmd == "pr" {
					if len(tt.args) == 0 || !strings.Contains(tt.args[len(tt.args)-1], "/shop") {
						args = append(args, "acme/shop")
					}
				} else {
					args = append(args, "--config", writeSweepConfig(t, "repositories: [acme/shop]\n"))
				}
				r := runCLI(t, "", args...)
				assertNoSecret(t, r, pkcs1)
				if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("remedy %s: exit %d, stderr %q; want %d and %q", strings.Join(args, " "), r.code, r.stderr, exitError, tt.want)
				}
			})
		}
	}
}
