package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds .remedy.yaml readers what a repository could hold. Parse
// must never panic; it accepts a config or refuses it with an error naming
// the file; an accepted config answers every question asked of it. Seeds:
// the repository's own configs, and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../examples/shop/.remedy.yaml", "../report/testdata/scan/.remedy.yaml", "../cmd/remedy/testdata/badconfig/.remedy.yaml"} {
		b, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "---\n", "~\n", "[]\n", "controls: {enable: [privileged], disable: [host-pid]}\n",
		"controls: &a {disable: [x]}\nexclude: *a\n",
		"group: per-control\nlabels: [a, b]\nprConcurrentLimit: -1\nprHourlyLimit: 99999999999999999999\n",
		"defaults:\n  resources:\n    requests: {cpu: 1, memory: [1]}\n",
		"templates: {title: t.md, body: ../../etc/passwd, commit: /proc/self/environ}\n",
		"helm:\n  valueFiles: [a.yaml]\n",
		"exclude: ['[']\n", "severity: critical\n", "severity: [high]\n",
		"a: &a [*a]\n", "<<: {controls: {}}\n", "\xef\xbb\xbfcontrols: {}\r\n", "controls:\n\t- x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz.yaml", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if c == nil {
			t.Fatal("no config and no error")
		}
		c.Excluded("apps/web/deployment.yaml")
		c.ControlEnabled("privileged")
		c.Defaults.ResourceDefaults()
	})
}
