package tasks

import (
	"testing"

	"github.com/remedy-bot/remedy/config"
)

// FuzzDisableControl edits whatever .remedy.yaml a repository holds, with
// whatever reason a commenter gave: it never panics, and an edit it makes
// is a config that parses and has the control off.
func FuzzDisableControl(f *testing.F) {
	for _, s := range []string{
		"", "controls:\n  disable:\n    - liveness-probe # noisy\n", "controls:\n  disable: [liveness-probe] # noisy\n",
		"controls:\n  enable: [privileged, host-pid]\n", "exclude:\n  - legacy/**\n", "controls:\r\n  disable:\r\n    - a-b\r\n",
		"controls: {disable: [x]}\n", "# only a comment\n", "controls:\n  disable: &d [x]\nexclude: *d\n",
	} {
		f.Add([]byte(s), "the CNI needs it")
	}
	f.Add([]byte("controls:\n  disable:\n  - x\n"), "a\n- privileged\n# <!-- \x00")
	f.Fuzz(func(t *testing.T, src []byte, reason string) {
		if _, err := config.Parse(config.FileName, src); err != nil {
			return
		}
		note := ignoreNote("privileged", Request{Reason: reason, Requester: "maint", Issue: 4})
		out, err := DisableControl(src, "privileged", note)
		if err != nil {
			return
		}
		cfg, err := config.Parse(config.FileName, out)
		if err != nil {
			t.Fatalf("edited config does not parse: %v\n%s", err, out)
		}
		if cfg.ControlEnabled("privileged") {
			t.Fatalf("edited config leaves privileged on:\n%s", out)
		}
	})
}
