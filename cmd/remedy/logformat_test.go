package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogFormatJSON: --log-format json makes every log line one JSON
// object; an unknown format is an error.
func TestLogFormatJSON(t *testing.T) {
	r := runCLI(t, "", "scan", "--log-level", "debug", "--log-format", "json", "testdata/hardened")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != exitOK || len(lines) == 0 || lines[0] == "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("not a JSON log record: %q (%v)", l, err)
		}
	}
	if r := runCLI(t, "", "scan", "--log-format", "xml", "testdata/hardened"); r.code != exitError || !strings.Contains(r.stderr, "unknown log format") {
		t.Errorf("--log-format xml: exit %d, %q", r.code, r.stderr)
	}
}
