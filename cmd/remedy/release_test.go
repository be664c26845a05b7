package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const repoRoot = "../.."

// modulePath is the module's path in go.mod, which `go install …@version`
// names in the README, the action and the pre-commit hook.
func modulePath(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^module (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod names no module")
	}
	return string(m[1])
}

// TestActionYAML checks the composite action: it installs remedy at the
// requested version from this module, scans to SARIF and uploads it, and
// no input is spliced into a script (where it could inject a command).
func TestActionYAML(t *testing.T) {
	var a struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
		Inputs      map[string]struct {
			Description string `yaml:"description"`
			Default     string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Uses  string            `yaml:"uses"`
				Run   string            `yaml:"run"`
				Shell string            `yaml:"shell"`
				With  map[string]string `yaml:"with"`
				Env   map[string]string `yaml:"env"`
				If    string            `yaml:"if"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" {
		t.Fatalf("name %q description %q using %q", a.Name, a.Description, a.Runs.Using)
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	for _, want := range []string{"version", "path", "fail-on", "sarif-file", "upload"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("no input %s", want)
		}
	}
	var install, scan, upload bool
	for i, s := range a.Runs.Steps {
		if s.Run != "" {
			if s.Shell == "" {
				t.Errorf("step %d: a composite run step needs a shell", i)
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %d splices an expression into its script:\n%s", i, s.Run)
			}
		}
		if strings.Contains(s.Run, "go install \"github.com/remedy-bot/remedy/cmd/remedy@${REMEDY_VERSION}\"") && s.Env["REMEDY_VERSION"] == "${{ inputs.version }}" {
			install = true
		}
		if strings.Contains(s.Run, "remedy scan ") && strings.Contains(s.Run, "-o sarif") && strings.Contains(s.Run, "--output-file \"$REMEDY_SARIF\"") {
			scan = true
		}
		if strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@") && s.With["sarif_file"] == "${{ inputs.sarif-file }}" {
			upload = true
		}
	}
	if !install || !scan || !upload {
		t.Errorf("install %v, scan to SARIF %v, upload %v: want all", install, scan, upload)
	}
	if mod := modulePath(t); !strings.Contains(string(raw), mod+"/cmd/remedy@") {
		t.Errorf("action.yml does not install %s/cmd/remedy", mod)
	}
	// Every ${{ inputs.x }} names a declared input.
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses undeclared input %s", m[1])
		}
	}
}

// TestPreCommitHooks checks the hooks pre-commit reads.
func TestPreCommitHooks(t *testing.T) {
	var hooks []struct {
		ID            string   `yaml:"id"`
		Name          string   `yaml:"name"`
		Entry         string   `yaml:"entry"`
		Language      string   `yaml:"language"`
		Args          []string `yaml:"args"`
		PassFilenames *bool    `yaml:"pass_filenames"`
		Files         string   `yaml:"files"`
	}
	readYAML(t, filepath.Join(repoRoot, ".pre-commit-hooks.yaml"), &hooks)
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry != "remedy scan" {
			t.Errorf("hook %+v: want an id, a name and the entry remedy scan", h)
		}
		if h.Language != "golang" && h.Language != "system" {
			t.Errorf("hook %s: language %q", h.ID, h.Language)
		}
		// The whole repository: a kustomization or .remedy.yaml decides
		// what one file's findings are.
		if h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("hook %s passes file names", h.ID)
		}
		re, err := regexp.Compile(h.Files)
		if err != nil {
			t.Errorf("hook %s: files: %v", h.ID, err)
			continue
		}
		for _, f := range []string{"deploy/web.yaml", "k8s/app.yml", "main.tf"} {
			if !re.MatchString(f) {
				t.Errorf("hook %s does not run for %s", h.ID, f)
			}
		}
		if re.MatchString("main.go") {
			t.Errorf("hook %s runs for Go files", h.ID)
		}
		r := runCLI(t, "", append([]string{"scan", "testdata/hardened"}, h.Args...)...)
		if r.code != exitOK {
			t.Errorf("hook %s: remedy scan %v: exit %d\n%s", h.ID, h.Args, r.code, r.stderr)
		}
	}
}

// TestGitHubAppManifest checks the manifest a GitHub App is created from:
// only fields GitHub's manifest flow knows, the events the server handles,
// the permissions its work needs (commit statuses included), and the
// webhook at the server's path.
func TestGitHubAppManifest(t *testing.T) {
	var m struct {
		Name           string `json:"name"`
		URL            string `json:"url"`
		Description    string `json:"description"`
		Public         bool   `json:"public"`
		RedirectURL    string `json:"redirect_url"`
		HookAttributes struct {
			URL    string `json:"url"`
			Active bool   `json:"active"`
		} `json:"hook_attributes"`
		DefaultEvents      []string          `json:"default_events"`
		DefaultPermissions map[string]string `json:"default_permissions"`
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "github-app-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("github-app-manifest.json: %v", err)
	}
	if m.Name == "" || m.URL == "" {
		t.Errorf("name %q url %q", m.Name, m.URL)
	}
	if !m.HookAttributes.Active || !strings.HasPrefix(m.HookAttributes.URL, "https://") || !strings.HasSuffix(m.HookAttributes.URL, "/webhooks/github") {
		t.Errorf("webhook %+v: want active, https, at /webhooks/github", m.HookAttributes)
	}
	events := slices.Sorted(slices.Values(m.DefaultEvents))
	if want := []string{"issue_comment", "issues", "pull_request", "push"}; !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
	want := map[string]string{"contents": "write", "pull_requests": "write", "issues": "write", "statuses": "write", "checks": "read", "metadata": "read"}
	if len(m.DefaultPermissions) != len(want) {
		t.Errorf("permissions %v, want %v", m.DefaultPermissions, want)
	}
	for k, v := range want {
		if m.DefaultPermissions[k] != v {
			t.Errorf("permission %s: %q, want %q", k, m.DefaultPermissions[k], v)
		}
	}
}

// TestPinImage runs hack/pin-image.sh on a copy of deploy/base's
// kustomization: the image is pinned to the digest, nothing else changes,
// a second run changes nothing, and a reference without a digest is
// refused.
func TestPinImage(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	orig, err := os.ReadFile(filepath.Join(deployBaseDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	k := filepath.Join(t.TempDir(), "kustomization.yaml")
	if err := os.WriteFile(k, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	pin := func(ref string) (string, error) {
		out, err := exec.Command("bash", filepath.Join(repoRoot, "hack/pin-image.sh"), "--kustomization", k, ref).CombinedOutput()
		return string(out), err
	}
	if out, err := pin("ghcr.io/remedy-bot/remedy:v1.2.3@" + digest); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	once, _ := os.ReadFile(k)
	var got struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name   string `yaml:"name"`
			NewTag string `yaml:"newTag"`
			Digest string `yaml:"digest"`
		} `yaml:"images"`
	}
	if err := yaml.Unmarshal(once, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != 1 || got.Images[0].Name != "ghcr.io/remedy-bot/remedy" || got.Images[0].NewTag != "v1.2.3" || got.Images[0].Digest != digest {
		t.Errorf("images %+v", got.Images)
	}
	if !strings.Contains(string(orig), "deployment.yaml") || len(got.Resources) == 0 {
		t.Errorf("resources lost: %v", got.Resources)
	}
	if out, err := pin("ghcr.io/remedy-bot/remedy:v1.2.3@" + digest); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if twice, _ := os.ReadFile(k); string(twice) != string(once) {
		t.Errorf("a second run changed the file:\n%s", twice)
	}
	for _, bad := range []string{"ghcr.io/remedy-bot/remedy:v1.2.3", "ghcr.io/remedy-bot/remedy@" + digest, "ghcr.io/other/image:v1@" + digest} {
		if out, err := pin(bad); err == nil {
			t.Errorf("%s: accepted\n%s", bad, out)
		}
	}
	if after, _ := os.ReadFile(k); string(after) != string(once) {
		t.Error("a refused reference changed the file")
	}
}
