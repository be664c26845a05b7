package tasks

import (
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
)

func TestDisableControl(t *testing.T) {
	const note = "privileged: the CNI needs it (@octo, #4)"
	tests := []struct {
		name, src, want, wantErr string
	}{
		{"no file", "", "controls:\n  disable:\n    # " + note + "\n    - privileged\n", ""},
		{"appended to a block list", "# repo config\ncontrols:\n  disable:\n    - liveness-probe # noisy\nseverity: low\n",
			"# repo config\ncontrols:\n  disable:\n    - liveness-probe # noisy\n    # " + note + "\n    - privileged\nseverity: low\n", ""},
		{"joins a flow list", "controls:\n  disable: [liveness-probe] # noisy\n",
			"controls:\n  # " + note + "\n  disable: [liveness-probe, privileged] # noisy\n", ""},
		{"disable added beside enable", "controls:\n  enable: [privileged, host-pid]\n",
			"controls:\n  enable: [privileged, host-pid]\n  disable:\n  # " + note + "\n  - privileged\n", ""},
		{"controls added", "exclude:\n  - legacy/**\n",
			"exclude:\n  - legacy/**\ncontrols:\n  disable:\n    # " + note + "\n    - privileged\n", ""},
		{"CRLF kept", "controls:\r\n  disable:\r\n    - a-b\r\n",
			"controls:\r\n  disable:\r\n    - a-b\r\n    # " + note + "\r\n    - privileged\r\n", ""},
		{"broken config refused", "controls: [\n", "", "invalid YAML"},
		{"unknown key refused", "contrls:\n  disable: []\n", "", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DisableControl([]byte(tt.src), "privileged", note)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
			cfg, err := config.Parse(config.FileName, got)
			if err != nil || cfg.ControlEnabled("privileged") {
				t.Errorf("result does not disable privileged: %v", err)
			}
		})
	}
}
