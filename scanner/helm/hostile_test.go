package helm

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
)

// The hostile tree's charts: .helmignore as a FIFO (which blocked the
// read forever) and as a link to /dev/zero (which filled memory) fail the
// render naming the file; values.yaml linked out of the repository is not
// read (helm skips links, as charts are read from regular files only).
func TestHostileCharts(t *testing.T) {
	repo := repofstest.Tree(t)
	for _, tc := range []struct{ chart, wantErr string }{
		{"chart", "read chart/.helmignore: not a regular file (named pipe (FIFO))"},
		{"chartzero", "read chartzero/.helmignore: leads outside the repository"},
		{"chartout", ""},
	} {
		t.Run(tc.chart, func(t *testing.T) {
			res, err := Render(filepath.Join(repo, tc.chart), Release{Name: "r"}, Options{Root: repo})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(res.File.Bytes), repofstest.SecretMarker) {
				t.Error("the render holds the secret from outside the repository")
			}
		})
	}
	// A values file named by config that links out is refused.
	secret := filepath.Join(filepath.Dir(repo), "outside", "secret.yaml")
	_, err := Render(filepath.Join(repo, "chartout"), Release{Name: "r", ValuesFiles: []string{secret}}, Options{Root: repo})
	if err == nil || !strings.Contains(err.Error(), "leads outside the repository") {
		t.Errorf("values file outside: %v", err)
	}
}
