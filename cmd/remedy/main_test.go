package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// result is what one run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func TestScanExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"hardened manifest passes", []string{"scan", "testdata/hardened"}, exitOK},
		{"a single file", []string{"scan", "testdata/hardened/api.yaml"}, exitOK},
		{"medium finding fails at the default low", []string{"scan", "testdata/medium"}, exitFindings},
		{"medium finding fails --fail-on medium", []string{"scan", "testdata/medium", "--fail-on", "medium"}, exitFindings},
		{"medium finding passes --fail-on high", []string{"scan", "testdata/medium", "--fail-on", "high"}, exitOK},
		{"--control restricts the scan", []string{"scan", "testdata/medium", "--control", "privileged"}, exitOK},
		{"parse error wins over findings", []string{"scan", "testdata/broken"}, exitError},
		{"parse error fails even --fail-on critical", []string{"scan", "testdata/broken", "--fail-on", "critical"}, exitError},
		{"missing path", []string{"scan", "testdata/no-such-folder"}, exitError},
		{"missing path beside a good one", []string{"scan", "testdata/hardened", "testdata/no-such-file.yaml"}, exitError},
		{"file over --max-file-size is skipped", []string{"scan", "testdata/medium", "--max-file-size", "100"}, exitOK},
		{"unknown control", []string{"scan", "testdata/hardened", "--control", "no-such-control"}, exitError},
		{"unknown severity", []string{"scan", "testdata/hardened", "--fail-on", "severe"}, exitError},
		{"unknown format", []string{"scan", "testdata/hardened", "-o", "xml"}, exitError},
		{"unknown flag", []string{"scan", "--bogus"}, exitError},
		{"missing --config file", []string{"scan", "testdata/hardened", "--config", "testdata/no-such.yaml"}, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.want {
				t.Errorf("remedy %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

func decodeReport(t *testing.T, b []byte) scanner.Report {
	t.Helper()
	var rep scanner.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, b)
	}
	return rep
}

func TestScanJSONKeepsScanningPastErrors(t *testing.T) {
	r := runCLI(t, "", "scan", "testdata/broken", "-o", "json")
	if r.code != exitError {
		t.Errorf("exit %d, want %d", r.code, exitError)
	}
	rep := decodeReport(t, []byte(r.stdout))
	// Inside this repository, paths are relative to its root.
	if len(rep.Errors) != 1 || rep.Errors[0].File != "cmd/remedy/testdata/broken/configmap.yaml" || rep.Errors[0].Line != 8 {
		t.Errorf("errors %+v, want one for configmap.yaml line 8", rep.Errors)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].File != "cmd/remedy/testdata/broken/api.yaml" || rep.Findings[0].Control != "read-only-root-filesystem" {
		t.Errorf("findings %+v, want the other file's read-only-root-filesystem finding", rep.Findings)
	}
	if !strings.Contains(r.stderr, "configmap.yaml") {
		t.Errorf("stderr should log the unreadable input, got %q", r.stderr)
	}
}

func TestScanOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	r := runCLI(t, "", "scan", "testdata/medium", "--format", "json", "--output-file", out)
	if r.code != exitFindings {
		t.Errorf("exit %d, want %d; stderr: %s", r.code, exitFindings, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout should be empty with --output-file, got %q", r.stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if rep := decodeReport(t, b); len(rep.Findings) != 1 {
		t.Errorf("got %d findings in %s, want 1", len(rep.Findings), out)
	}
}

func TestScanStdin(t *testing.T) {
	manifest, err := os.ReadFile("testdata/medium/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, string(manifest), "scan", "-", "-o", "json")
	if r.code != exitFindings {
		t.Errorf("exit %d, want %d; stderr: %s", r.code, exitFindings, r.stderr)
	}
	rep := decodeReport(t, []byte(r.stdout))
	if len(rep.Findings) != 1 || rep.Findings[0].File != scanner.StdinName || rep.Findings[0].Line != 31 {
		t.Errorf("findings %+v, want one in %s at line 31", rep.Findings, scanner.StdinName)
	}
}

func TestScanSARIF(t *testing.T) {
	r := runCLI(t, "", "scan", "testdata/medium", "-o", "sarif")
	if r.code != exitFindings {
		t.Errorf("exit %d, want %d", r.code, exitFindings)
	}
	var log struct {
		Version string
		Runs    []struct {
			Tool    struct{ Driver struct{ Name string } }
			Results []struct{ RuleID string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "remedy" ||
		len(log.Runs[0].Results) != 1 || log.Runs[0].Results[0].RuleID != "read-only-root-filesystem" {
		t.Errorf("unexpected SARIF:\n%s", r.stdout)
	}
}

func TestScanTable(t *testing.T) {
	r := runCLI(t, "", "scan", "testdata/medium")
	for _, want := range []string{"api.yaml\n", "31:13", "MEDIUM", "read-only-root-filesystem", "Deployment/shop/api [api]", "1 finding (0 high, 1 medium, 0 low)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("table written to a buffer must not be coloured")
	}
}

func TestScanConfig(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"unknown key names file and line", []string{"scan", "testdata/badconfig"},
			exitError, filepath.Join("testdata", "badconfig", ".remedy.yaml") + ":7: unknown key \"severty\""},
		{"found beside a file argument", []string{"scan", "testdata/badconfig/api.yaml"},
			exitError, ".remedy.yaml:7:"},
		{"--config names another file", []string{"scan", "testdata/hardened", "--config", "testdata/badconfig/.remedy.yaml"},
			exitError, "testdata/badconfig/.remedy.yaml:7:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.want || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", r.code, r.stderr, tt.want, tt.wantStderr)
			}
			if r.stdout != "" {
				t.Errorf("a config error should print no report, got %q", r.stdout)
			}
		})
	}

	// A valid config applies: disabling the one failing control passes.
	dir := t.TempDir()
	manifest, err := os.ReadFile("testdata/medium/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := "controls:\n  disable: [read-only-root-filesystem]\n"
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".remedy.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "scan", dir); r.code != exitOK {
		t.Errorf("with the control disabled: exit %d, want %d\n%s", r.code, exitOK, r.stdout)
	}
}

func TestControls(t *testing.T) {
	catalog := scanner.DefaultCatalog()
	r := runCLI(t, "", "controls", "--format", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []struct {
		ID, Severity, Why, HowToFix string
		Fixable                     bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(catalog.Controls()) {
		t.Errorf("listed %d controls, the catalog has %d", len(got), len(catalog.Controls()))
	}
	for _, c := range got {
		if catalog.Get(c.ID) == nil || c.Why == "" {
			t.Errorf("control %+v: unknown or without why", c)
		}
	}
	r = runCLI(t, "", "controls")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "ID") || !strings.Contains(r.stdout, "no-privilege-escalation") {
		t.Errorf("table: exit %d\n%s", r.code, r.stdout)
	}
	if r := runCLI(t, "", "controls", "-o", "yaml"); r.code != exitError {
		t.Errorf("-o yaml: exit %d, want %d", r.code, exitError)
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "remedy "+versionString()) {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"scan", "--help"}, {"controls", "--help"}, {"version", "--help"}} {
		r := runCLI(t, "", args...)
		if r.code != exitOK || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("remedy %s: exit %d, want help with examples:\n%s", strings.Join(args, " "), r.code, r.stdout)
		}
	}
}

func TestLogLevel(t *testing.T) {
	r := runCLI(t, "", "scan", "testdata/hardened", "--log-level", "debug")
	if r.code != exitOK || !strings.Contains(r.stderr, "level=DEBUG msg=scanned") {
		t.Errorf("exit %d, stderr %q: want a debug record", r.code, r.stderr)
	}
	if r := runCLI(t, "", "scan", "testdata/hardened", "--log-level", "chatty"); r.code != exitError {
		t.Errorf("--log-level chatty: exit %d, want %d", r.code, exitError)
	}
}

// TestREADMEControlsTable keeps the README's catalog in step with the code.
func TestREADMEControlsTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "controls", "-o", "markdown")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(string(readme), r.stdout) {
		t.Errorf("README.md's controls table is stale: replace it with the output of\n  go run ./cmd/remedy controls -o markdown\n%s", r.stdout)
	}
}
