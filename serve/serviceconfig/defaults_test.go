package serviceconfig

import (
	"strings"
	"testing"
)

func TestRepositoryDefaults(t *testing.T) {
	cfg, err := Parse([]byte("defaults:\n  dashboard: true\n"))
	if err != nil || !cfg.Defaults.Dashboard {
		t.Fatalf("defaults.dashboard: %+v, %v", cfg.Defaults, err)
	}
	if cfg, err := Parse([]byte("listen: \":8080\"\n")); err != nil || cfg.Defaults.Dashboard {
		t.Errorf("unset: %+v, %v", cfg.Defaults, err)
	}
	if _, err := Parse([]byte("defaults:\n  dashbaord: true\n")); err == nil || !strings.Contains(err.Error(), "dashbaord") {
		t.Errorf("a typo: %v", err)
	}
}
