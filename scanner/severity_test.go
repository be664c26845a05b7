package scanner

import (
	"encoding/json"
	"testing"
)

func TestSeverityJSONRoundTrip(t *testing.T) {
	for _, s := range []Severity{0, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if back != s {
			t.Errorf("%s read back as %v, want %v", b, back, s)
		}
	}
	if _, err := ParseSeverity("unknown"); err == nil {
		t.Error(`ParseSeverity("unknown") succeeded: a configuration may not name it`)
	}
	var s Severity
	if err := json.Unmarshal([]byte(`"severe"`), &s); err == nil {
		t.Error(`"severe" read as a severity`)
	}
}
