package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepTokenFile is the CronJob's way in: the token is read from a
// mounted file (--token-file or GITHUB_TOKEN_FILE), never from the
// environment, and never printed, whatever goes wrong.
func TestSweepTokenFile(t *testing.T) {
	s := forge(t)
	s.CreateRepo("acme", "svc-web", map[string]string{".remedy.yaml": onlyPrivileged, "deploy/web.yaml": privilegedDeployment})
	cfg := writeSweepConfig(t, "repositories: [acme/svc-web]\n")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "github-token")
	if err := os.WriteFile(tokenFile, []byte(prTestToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoLines := filepath.Join(dir, "two-lines")
	if err := os.WriteFile(twoLines, []byte(prTestToken+"\n"+prTestToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"flag", map[string]string{"GITHUB_TOKEN": ""}, []string{"--token-file", tokenFile}, exitOK, ""},
		{"environment", map[string]string{"GITHUB_TOKEN": "", "GITHUB_TOKEN_FILE": tokenFile}, nil, exitOK, ""},
		{"both a token and a file", nil, []string{"--token-file", tokenFile}, exitError, "use one"},
		{"missing file", map[string]string{"GITHUB_TOKEN": ""}, []string{"--token-file", filepath.Join(dir, "nope")}, exitError, "GitHub token file"},
		{"empty file", map[string]string{"GITHUB_TOKEN": ""}, []string{"--token-file", empty}, exitError, "is empty"},
		{"two lines", map[string]string{"GITHUB_TOKEN": ""}, []string{"--token-file", twoLines}, exitError, "one token on one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append([]string{"sweep", "--config", cfg, "--dry-run", "-o", "json"}, tt.args...)
			r := runCLI(t, "", args...)
			assertNoToken(t, r)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if tt.wantErr != "" && !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, r.stderr)
			}
			if tt.wantCode == exitOK && !strings.Contains(r.stdout, `"acme/svc-web"`) {
				t.Errorf("the sweep did not reach the repository:\n%s", r.stdout)
			}
		})
	}
}
