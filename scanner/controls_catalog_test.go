package scanner

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/testfiles"
)

// hit is what a control test asserts about one finding.
type hit struct {
	Control   string
	Line      int
	Path      string
	Container string
	Fixable   bool
}

func (h hit) String() string {
	return fmt.Sprintf("{%s line %d %s container=%q fixable=%v}", h.Control, h.Line, h.Path, h.Container, h.Fixable)
}

// controlCase is one manifest and the exact hits one control must report
// on it. want leaves Control empty: it is the control under test.
type controlCase struct {
	name     string
	manifest string
	cfg      *config.Config
	want     []hit
}

// scanManifest scans one in-memory file with only the given controls.
func scanManifest(t *testing.T, manifest string, cfg *config.Config, only ...string) []Finding {
	t.Helper()
	f, errs := ParseFile("test.yaml", []byte(manifest))
	if len(errs) > 0 {
		t.Fatalf("ParseFile: %v", errs)
	}
	return ScanInputs(&Inputs{Files: []*SourceFile{f}}, Options{Config: cfg, Only: only}).Findings
}

// runControlCases checks that control id reports exactly the wanted hits on
// each case's manifest, and that its messages name the container they are about.
func runControlCases(t *testing.T, id string, cases []controlCase) {
	t.Helper()
	if DefaultCatalog().Get(id) == nil {
		t.Fatalf("control %s is not in DefaultCatalog", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []hit
			for _, f := range scanManifest(t, tc.manifest, tc.cfg, id) {
				got = append(got, hit{f.Control, f.Line, f.Path, f.Container, f.Fixable})
				if f.Message == "" || !strings.Contains(f.Message, f.Container) {
					t.Errorf("line %d: message %q does not name container %q", f.Line, f.Message, f.Container)
				}
			}
			want := make([]hit, len(tc.want))
			for i, w := range tc.want {
				w.Control = id
				want[i] = w
			}
			sortHits(got)
			sortHits(want)
			if !slices.Equal(got, want) {
				t.Errorf("hits:\n got  %v\n want %v", got, want)
			}
		})
	}
}

func sortHits(hs []hit) {
	slices.SortFunc(hs, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Container, b.Container))
	})
}

// catalogRow is one control as the catalog document states it.
type catalogRow struct {
	Fixable  bool
	Severity string
}

var catalogRowRE = regexp.MustCompile("^\\|\\s*`([a-z0-9-]+)`\\s*\\|")

// readCatalogDoc reads the control tables of controls.md: the ID in the
// first column, the severity in the last, fixable by section.
func readCatalogDoc(t *testing.T, path string) map[string]catalogRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]catalogRow{}
	fixable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## Fixable"):
			fixable = true
		case strings.HasPrefix(line, "## "):
			fixable = false
		}
		m := catalogRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		rows[m[1]] = catalogRow{Fixable: fixable, Severity: strings.TrimSpace(cells[len(cells)-1])}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestDefaultCatalogMatchesControlsDoc(t *testing.T) {
	doc := readCatalogDoc(t, testfiles.Shared(t, "controls.md"))
	if len(doc) < 30 {
		t.Fatalf("read only %d controls from controls.md; did its table format change?", len(doc))
	}
	cat := DefaultCatalog()
	var ids []string
	for _, c := range cat.Controls() {
		ids = append(ids, c.ID)
	}
	want := []string{IgnoreWithoutReasonID}
	for id := range doc {
		want = append(want, id)
	}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("DefaultCatalog IDs:\n got  %v\n want %v", ids, want)
	}
	for id, row := range doc {
		c := cat.Get(id)
		if c == nil {
			continue
		}
		if c.Fixable != row.Fixable {
			t.Errorf("%s: Fixable = %v, controls.md says %v", id, c.Fixable, row.Fixable)
		}
		if c.Severity.String() != row.Severity {
			t.Errorf("%s: Severity = %s, controls.md says %s", id, c.Severity, row.Severity)
		}
		if c.Check == nil {
			t.Errorf("%s has no Check", id)
		}
	}
}

func TestDefaultCatalogDescribesEveryControl(t *testing.T) {
	for _, c := range DefaultCatalog().Controls() {
		if c.Title == "" || c.Why == "" || c.HowToFix == "" || len(c.Refs) == 0 {
			t.Errorf("%s: Title, Why, HowToFix and Refs must all be set: %+v", c.ID, c)
		}
		if c.Severity < SeverityLow || c.Severity > SeverityCritical {
			t.Errorf("%s: severity %d is not a known severity", c.ID, c.Severity)
		}
	}
}

// TestControlsOverFixtures runs every control over the real-world manifests:
// nothing may panic, and every finding must be locatable and explained.
func TestControlsOverFixtures(t *testing.T) {
	root := testfiles.Shared(t, "fixtures", "manifests")
	in := Load(root, []string{root}, LoadOptions{})
	if len(in.Files) == 0 {
		t.Fatalf("loaded no files from %s", root)
	}
	rep := ScanInputs(in, Options{})
	perControl := map[string]int{}
	for _, f := range rep.Findings {
		perControl[f.Control]++
		if f.Control == IgnoreWithoutReasonID {
			continue
		}
		if f.Line <= 0 || f.Path == "" || f.Message == "" || f.Resource == nil {
			t.Errorf("%s:%d %s: finding without line, path, message or resource: %+v", f.File, f.Line, f.Control, f)
		}
		if f.Container != "" && !strings.Contains(f.Message, f.Container) {
			t.Errorf("%s:%d %s: message %q does not name container %q", f.File, f.Line, f.Control, f.Message, f.Container)
		}
	}
	// These manifests are upstream examples, few of them hardened: the
	// common controls must fire somewhere, or a check has gone blind.
	for _, id := range []string{"read-only-root-filesystem", "run-as-non-root", "seccomp-profile", "resource-limits",
		"liveness-probe", "image-tag", "host-path-volume", "privileged", "secrets-in-env", "service-node-port"} {
		if perControl[id] == 0 {
			t.Errorf("control %s found nothing in %d fixture files", id, len(in.Files))
		}
	}
}

// TestPSSRulesMatchRefs: a control cites a PSS level in its refs exactly
// when it carries the PSS rule the reference tests judge it by.
func TestPSSRulesMatchRefs(t *testing.T) {
	for _, c := range DefaultCatalog().Controls() {
		cited := ""
		for _, ref := range c.Refs {
			for _, level := range []string{PSSBaseline, PSSRestricted} {
				if strings.HasPrefix(ref, "PSS "+level) {
					cited = level
				}
			}
		}
		switch {
		case c.PSS == nil && cited != "":
			t.Errorf("%s cites PSS %s but has no PSS rule", c.ID, cited)
		case c.PSS != nil && c.PSS.Level != cited:
			t.Errorf("%s: PSS rule %s, refs cite %q", c.ID, c.PSS, cited)
		}
	}
}
