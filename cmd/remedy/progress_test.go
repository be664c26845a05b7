package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSweepProgress: on a terminal, stderr shows "sweep: n/N repositories"
// rewritten in place up to N/N and then cleared, and stdout (the JSON
// summary) stays clean; off a terminal there is no progress at all.
func TestSweepProgress(t *testing.T) {
	s := forge(t)
	for _, name := range []string{"a", "b", "c"} {
		s.CreateRepo("acme", name, map[string]string{"README.md": "nothing to scan\n"})
	}
	cfg := writeSweepConfig(t, "owners:\n  - name: acme\n")
	for _, terminal := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		inv := newInvocation(strings.NewReader(""), &stdout, &stderr)
		inv.stderrIsTerminal = func() bool { return terminal }
		code := inv.execute(context.Background(), []string{"sweep", "--config", cfg, "-o", "json", "--log-level", "warn"})
		if code != exitOK {
			t.Fatalf("terminal %v: exit %d\n%s", terminal, code, stderr.String())
		}
		var rows []sweepRow
		if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil || len(rows) != 3 {
			t.Errorf("terminal %v: stdout is not the summary of 3: %v\n%q", terminal, err, stdout.String())
		}
		got := stderr.String()
		if !terminal {
			if strings.ContainsAny(got, "\r\x1b") || strings.Contains(got, "sweep:") {
				t.Errorf("progress off a terminal: %q", got)
			}
			continue
		}
		for _, want := range []string{"\r\x1b[Ksweep: 0/3 repositories\r", "\r\x1b[Ksweep: 3/3 repositories\r"} {
			if !strings.Contains(got, want) {
				t.Errorf("stderr lacks %q:\n%q", want, got)
			}
		}
		if !strings.HasSuffix(got, "\r\x1b[K") {
			t.Errorf("the progress line is not cleared at the end:\n%q", got)
		}
	}
}

// TestProgressThrottles: redraws are at most one per interval, except the
// last, so a fast sweep of thousands does not flood a slow terminal.
func TestProgressThrottles(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := &progress{w: &out, label: "sweep", unit: "repositories", total: 5, every: time.Second, now: func() time.Time { return now }}
	p.draw(true)
	p.Add(1)
	p.Add(1) // within the second: not drawn
	now = now.Add(2 * time.Second)
	p.Add(1)
	p.Add(2) // the last: drawn
	got := strings.Count(out.String(), "sweep:")
	if got != 3 || !strings.Contains(out.String(), "3/5") || !strings.Contains(out.String(), "5/5") || strings.Contains(out.String(), "1/5") {
		t.Errorf("%d draws:\n%q", got, out.String())
	}
	var nilProgress *progress
	nilProgress.Add(1)
	nilProgress.Finish()
}
