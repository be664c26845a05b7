package serviceconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPosture: the page is on only with a token found where the config
// says (or in REMEDY_POSTURE_TOKEN); a token named but unreadable, a short
// one or a typo is an error; the state shows where the token is, never it.
func TestPosture(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "posture-token")
	os.WriteFile(file, []byte("0123456789abcdef-from-file\n"), 0o600)
	const token = "0123456789abcdef-env"
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		wantErr    string
		wantOn     bool
		wantState  string
		wantToken  string
	}{
		{name: "no section, no variable: off", wantState: "off (no token: set posture.token"},
		{name: "no section, the variable", env: map[string]string{EnvPostureToken: token}, wantOn: true, wantState: "on, bearer token in $REMEDY_POSTURE_TOKEN", wantToken: token},
		{name: "token in a file", yaml: "posture:\n  token: {file: " + file + "}\n", wantOn: true, wantState: "on, bearer token in " + file, wantToken: "0123456789abcdef-from-file"},
		{name: "token in a variable", yaml: "posture:\n  token: {env: PAGE}\n", env: map[string]string{"PAGE": token}, wantOn: true, wantState: "on, bearer token in $PAGE", wantToken: token},
		{name: "turned off", yaml: "posture:\n  enabled: false\n", env: map[string]string{EnvPostureToken: token}, wantState: "off (posture.enabled: false)"},
		{name: "named variable empty", yaml: "posture:\n  token: {env: PAGE}\n", wantErr: "posture.token: environment variable PAGE is empty"},
		{name: "enabled without a token", yaml: "posture:\n  enabled: true\n", wantErr: "posture.token: environment variable REMEDY_POSTURE_TOKEN is empty"},
		{name: "short token", yaml: "posture:\n  token: {env: PAGE}\n", env: map[string]string{"PAGE": "hunter2"}, wantErr: "at least 16"},
		{name: "token in the config", yaml: "posture:\n  token: s3cr3t-s3cr3t-s3cr3t\n", wantErr: "never written in the config"},
		{name: "typo", yaml: "posture:\n  tokn: {env: PAGE}\n", wantErr: "tokn"},
		{name: "off and a token", yaml: "posture:\n  enabled: false\n  token: {env: PAGE}\n", wantErr: "remove one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			var s Secrets
			if err == nil {
				s, _, err = c.Resolve(func(k string) string {
					if k == EnvGitHubToken {
						return "ghp_x"
					}
					return tc.env[k]
				})
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the token is in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			on, state := c.PostureState(s)
			if on != tc.wantOn || !strings.HasPrefix(state, tc.wantState) || string(s.PostureToken) != tc.wantToken {
				t.Errorf("on %v %q token %q, want %v %q %q", on, state, s.PostureToken, tc.wantOn, tc.wantState, tc.wantToken)
			}
			if tc.wantToken != "" && strings.Contains(state, tc.wantToken) {
				t.Errorf("the state shows the token: %q", state)
			}
		})
	}
}
