package remediate

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// The Pod Security Standards reference (k8s.io/pod-security-admission, the
// code of the API server's PodSecurity admission) is the oracle of these
// tests. For every pod template, remedy's findings of PSS-mapped controls
// must agree with the reference's verdict at each level and policy
// version, in both directions; and after remedy fix, a pod whose failures
// were all fixable must pass. The reference is a test-only dependency.

// pssLevels are the levels compared. Restricted is judged as "passes
// baseline and restricted": the standard defines restricted as a superset
// of baseline, though the reference's restricted checks replace some
// baseline ones (a Windows pod adding SYS_ADMIN passes its restricted
// evaluation, skipping the capability checks, yet fails baseline).
var pssLevels = []api.Level{api.LevelBaseline, api.LevelRestricted}

// oracle evaluates pods with the reference's checks.
type oracle struct{ eval policy.Evaluator }

func newOracle(t testing.TB) oracle {
	t.Helper()
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return oracle{eval}
}

// forbidden returns the reference's reasons for refusing the pod at level
// and v1.minor, none when it is allowed.
func (o oracle) forbidden(meta *metav1.ObjectMeta, spec *corev1.PodSpec, level api.Level, minor int) []string {
	var out []string
	for _, l := range pssLevels {
		if api.CompareLevels(l, level) > 0 {
			continue
		}
		lv := api.LevelVersion{Level: l, Version: api.MajorMinorVersion(1, minor)}
		for _, r := range o.eval.EvaluatePod(lv, meta, spec) {
			if !r.Allowed {
				out = append(out, r.ForbiddenReason+": "+r.ForbiddenDetail)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// podOf decodes a resource's pod template as the API server would.
func podOf(r *scanner.Resource) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	ps := scanner.PodSpecOf(r)
	if ps == nil {
		return nil, nil, fmt.Errorf("no pod template")
	}
	spec := &corev1.PodSpec{}
	b, err := nodeJSON(ps.Node)
	if err == nil {
		err = json.Unmarshal(b, spec)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("pod spec: %w", err)
	}
	for i := range spec.Volumes {
		// The API server defaults a volume without a source to an
		// emptyDir before admission sees it.
		if reflect.ValueOf(spec.Volumes[i].VolumeSource).IsZero() {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	meta := &metav1.ObjectMeta{}
	if ps.Meta != nil {
		b, err := nodeJSON(ps.Meta)
		if err == nil {
			err = json.Unmarshal(b, meta)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("pod metadata: %w", err)
		}
	}
	return meta, spec, nil
}

// pssFailures returns remedy's findings that make the pod fail level.
func pssFailures(fs []scanner.Finding, level api.Level) []scanner.Finding {
	var out []scanner.Finding
	for _, f := range fs {
		if f.PSSLevel == string(api.LevelBaseline) || f.PSSLevel != "" && level == api.LevelRestricted {
			out = append(out, f)
		}
	}
	return out
}

// findingsByObject groups findings by their object's node (Resources()
// builds new Resource values on each call; the nodes stay).
func findingsByObject(rep *scanner.Report) map[*yaml.Node][]scanner.Finding {
	out := map[*yaml.Node][]scanner.Finding{}
	for _, f := range rep.Findings {
		if f.Resource != nil {
			n := f.Resource.Node.YNode()
			out[n] = append(out[n], f)
		}
	}
	return out
}

// pssScanOptions scans with every control, following policy v1.minor.
func pssScanOptions(minor int) scanner.Options {
	return scanner.Options{Config: &config.Config{PSS: config.PSS{Version: "v1." + strconv.Itoa(minor)}}}
}

// disagreement is one pod and level where remedy and the reference differ.
type disagreement struct {
	where     string
	level     api.Level
	reference []string
	remedy    []string
}

func (d disagreement) String() string {
	return fmt.Sprintf("%s at %s: reference %q, remedy %q", d.where, d.level, d.reference, d.remedy)
}

// compare checks every pod template of files at v1.minor and returns the
// disagreements and the number of pods judged.
func (o oracle) compare(t testing.TB, files []*scanner.SourceFile, minor int) (out []disagreement, pods int) {
	t.Helper()
	for _, file := range files {
		// One file per scan: a scan folds the findings of a base that
		// several builds deploy into one, which names one build's object.
		byResource := findingsByObject(scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{file}}, pssScanOptions(minor)))
		for _, d := range file.Docs {
			for _, r := range d.Resources() {
				if scanner.PodSpecOf(r) == nil {
					continue
				}
				meta, spec, err := podOf(r)
				if err != nil {
					// The API server would refuse it before admission.
					continue
				}
				pods++
				for _, level := range pssLevels {
					ref := o.forbidden(meta, spec, level, minor)
					var mine []string
					for _, f := range pssFailures(byResource[r.Node.YNode()], level) {
						mine = append(mine, f.Control+" "+f.Path)
					}
					if (len(ref) == 0) != (len(mine) == 0) {
						out = append(out, disagreement{where: fmt.Sprintf("%s %s", file.Path, r.ID()), level: level, reference: ref, remedy: mine})
					}
				}
			}
		}
	}
	return out, pods
}

// referenceFixtures returns the reference's own pass/fail pods, by policy
// version minor, from the module's test/testdata.
func referenceFixtures(t testing.TB) map[int][]*scanner.SourceFile {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatalf("locate k8s.io/pod-security-admission (go mod download): %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
	paths, _ := filepath.Glob(filepath.Join(root, "*", "v1.*", "*", "*.yaml"))
	if len(paths) < 1000 {
		t.Fatalf("found only %d fixtures under %s", len(paths), root)
	}
	byVersion := map[int][]*scanner.SourceFile{}
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		minor, err := strconv.Atoi(strings.TrimPrefix(parts[1], "v1."))
		if err != nil {
			t.Fatalf("%s: version %q", rel, parts[1])
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, errs := scanner.ParseFile(filepath.ToSlash(rel), b)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", rel, errs[0])
		}
		byVersion[minor] = append(byVersion[minor], f)
	}
	return byVersion
}

// reportDisagreements fails the test with the first disagreements.
func reportDisagreements(t *testing.T, what string, ds []disagreement, pods int) {
	t.Helper()
	t.Logf("%s: %d pods, %d disagreements", what, pods, len(ds))
	for i, d := range ds {
		if i == 400 {
			t.Errorf("... and %d more", len(ds)-i)
			break
		}
		t.Errorf("%s", d)
	}
}

// TestPSSReferenceFixtures: every fail fixture of the reference is caught
// and no pass fixture gets a finding, at the fixture's policy version.
func TestPSSReferenceFixtures(t *testing.T) {
	o := newOracle(t)
	var all []disagreement
	total := 0
	for minor, files := range referenceFixtures(t) {
		if minor > config.LatestPSSMinor {
			continue
		}
		ds, pods := o.compare(t, files, minor)
		all, total = append(all, ds...), total+pods
	}
	slices.SortFunc(all, func(a, b disagreement) int { return strings.Compare(a.String(), b.String()) })
	reportDisagreements(t, "reference fixtures", all, total)
}

// TestPSSCorpus compares remedy with the reference over every pod template
// of the real-world corpus (plain, and Kustomize and Helm as deployed), at
// the newest policy version, then fixes the plain files and checks that every pod whose PSS failures were all fixable
// now passes, and that the fixed pods still agree.
func TestPSSCorpus(t *testing.T) {
	root := corpusRoot(t)
	o := newOracle(t)
	in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
	var plain []*scanner.SourceFile
	for _, f := range in.Files {
		if f.Rendered == nil {
			plain = append(plain, f)
		}
	}
	// Every pod as deployed: plain files and Kustomize and Helm output.
	deployed := render.Load(root, []string{root}, render.Options{})
	ds, pods := o.compare(t, deployed.Files, config.LatestPSSMinor)
	reportDisagreements(t, "corpus", ds, pods)
	checkFixesPass(t, o, plain, config.LatestPSSMinor)
}

// TestPSSReferenceFixturesFixed fixes the reference's newest fail fixtures:
// a pod whose failures were all fixable must pass after the fix.
func TestPSSReferenceFixturesFixed(t *testing.T) {
	o := newOracle(t)
	checkFixesPass(t, o, referenceFixtures(t)[config.LatestPSSMinor], config.LatestPSSMinor)
}

// checkFixesPass runs remedy fix over files and judges every fixed pod.
func checkFixesPass(t *testing.T, o oracle, files []*scanner.SourceFile, minor int) {
	t.Helper()
	scan := pssScanOptions(minor)
	rep := scanner.ScanInputs(&scanner.Inputs{Files: files}, scan)
	byResource := findingsByObject(rep)
	var fixedFiles []*scanner.SourceFile
	// wantPass holds, per fixed file, the indexes (in document order) of
	// the pods that must pass restricted after the fix.
	wantPass := map[string]map[int]bool{}
	judged := 0
	for _, fx := range FixReport(&scanner.Inputs{Files: files}, rep, Options{}, scan) {
		if !fx.Changed() {
			continue
		}
		after, errs := scanner.ParseFile(fx.File.Path, fx.After)
		if len(errs) > 0 {
			t.Errorf("%s: the fixed file does not parse: %v", fx.File.Path, errs[0])
			continue
		}
		fixedFiles = append(fixedFiles, after)
		i := 0
		for _, d := range fx.File.Docs {
			for _, r := range d.Resources() {
				if scanner.PodSpecOf(r) == nil {
					continue
				}
				fails := pssFailures(byResource[r.Node.YNode()], api.LevelRestricted)
				if len(fails) > 0 && !slices.ContainsFunc(fails, func(f scanner.Finding) bool { return !f.Fixable }) {
					if wantPass[fx.File.Path] == nil {
						wantPass[fx.File.Path] = map[int]bool{}
					}
					wantPass[fx.File.Path][i] = true
				}
				i++
			}
		}
	}
	for _, f := range fixedFiles {
		i := 0
		for _, d := range f.Docs {
			for _, r := range d.Resources() {
				if scanner.PodSpecOf(r) == nil {
					continue
				}
				if wantPass[f.Path][i] {
					judged++
					meta, spec, err := podOf(r)
					if err != nil {
						t.Errorf("%s %s: the fixed pod does not decode: %v", f.Path, r.ID(), err)
					} else if ref := o.forbidden(meta, spec, api.LevelRestricted, minor); len(ref) > 0 {
						t.Errorf("%s %s: all its failures were fixable, yet after the fix the reference refuses it: %q", f.Path, r.ID(), ref)
					}
				}
				i++
			}
		}
	}
	ds, pods := o.compare(t, fixedFiles, minor)
	reportDisagreements(t, "fixed files", ds, pods)
	t.Logf("%d fixed files, %d pods fully fixable and judged after the fix", len(fixedFiles), judged)
	if len(fixedFiles) == 0 {
		t.Error("nothing was fixed; the test judged nothing")
	}
}

// TestPSSDeployedFixed fixes real Kustomize and Helm layouts of the corpus
// where they are written, builds them again, and judges the output: every
// pod whose PSS failures were all fixable passes the reference, and the
// rebuilt pods still agree with it.
func TestPSSDeployedFixed(t *testing.T) {
	corpus := corpusRoot(t)
	o := newOracle(t)
	cfg := &config.Config{}
	for _, layout := range []string{"microservices-demo/kustomize", "podinfo/kustomize", "flux2-kustomize-helm-example/apps", "microservices-demo/helm-chart"} {
		t.Run(layout, func(t *testing.T) {
			dir := copyTree(t, filepath.Join(corpus, filepath.FromSlash(layout)))
			run := fixDeployed(t, dir, cfg, Options{})
			// Pods by build output and object, as deployed before the fix.
			wantPass := map[string]bool{}
			for _, f := range run.in.Files {
				byObject := findingsByObject(scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{f}}, scanner.Options{Config: cfg}))
				for _, d := range f.Docs {
					for _, r := range d.Resources() {
						fails := pssFailures(byObject[r.Node.YNode()], api.LevelRestricted)
						if len(fails) > 0 && !slices.ContainsFunc(fails, func(f scanner.Finding) bool { return !f.Fixable }) {
							wantPass[f.Path+" "+r.ID()] = true
						}
					}
				}
			}
			run.applyAndRescan(t, dir, cfg)
			after := render.Load(dir, []string{dir}, render.Options{})
			judged := 0
			for _, f := range after.Files {
				for _, d := range f.Docs {
					for _, r := range d.Resources() {
						if !wantPass[f.Path+" "+r.ID()] {
							continue
						}
						judged++
						meta, spec, err := podOf(r)
						if err != nil {
							t.Errorf("%s %s: the fixed pod does not decode: %v", f.Path, r.ID(), err)
						} else if ref := o.forbidden(meta, spec, api.LevelRestricted, config.LatestPSSMinor); len(ref) > 0 {
							t.Errorf("%s %s: all its failures were fixable, yet after the fix the reference refuses it: %q", f.Path, r.ID(), ref)
						}
					}
				}
			}
			ds, pods := o.compare(t, after.Files, config.LatestPSSMinor)
			reportDisagreements(t, "rebuilt after the fix", ds, pods)
			t.Logf("%d pods fully fixable and judged after the fix", judged)
		})
	}
}
