// Package config reads a repository's `.remedy.yaml`: which controls run,
// which paths are skipped, the severity floor, default values for fixes, and
// how fix pull requests are grouped and labelled.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/repofs"
)

// FileName is the repository config file. AltFileName is read too (as
// editors and other tools name YAML files); a folder with both is an error,
// since one of them would be silently ignored.
const (
	FileName    = ".remedy.yaml"
	AltFileName = ".remedy.yml"
)

// Config is the repository configuration. Unknown keys are an error, so a
// typo never silently turns a setting off.
type Config struct {
	Controls Controls `yaml:"controls"`
	// Exclude holds globs (`**` allowed) of root-relative paths not to scan.
	Exclude []string `yaml:"exclude"`
	// Severity is the floor: findings below it are not reported.
	Severity string   `yaml:"severity"`
	Defaults Defaults `yaml:"defaults"`

	// Group is how fixes are grouped into pull requests: "repo" (default,
	// one PR), "per-control" (one PR per control) or "risk" (one PR for
	// fixes that cannot change what a working container does, one for
	// fixes a human must check).
	Group string `yaml:"group"`
	// Labels are added to fix PRs; nil means the default labels.
	Labels    []string `yaml:"labels"`
	Reviewers []string `yaml:"reviewers"`
	Assignees []string `yaml:"assignees"`
	// PRConcurrentLimit caps open fix PRs of the repo (0: no cap).
	PRConcurrentLimit int `yaml:"prConcurrentLimit"`
	// PRHourlyLimit caps fix PRs created per hour (0: no cap).
	PRHourlyLimit int       `yaml:"prHourlyLimit"`
	Templates     Templates `yaml:"templates"`
	Helm          Helm      `yaml:"helm"`
	Images        Images    `yaml:"images"`
	// PSS picks the Pod Security Standards version the controls follow.
	PSS PSS `yaml:"pss"`
	// Dashboard keeps remedy's dashboard issue in the repository (true),
	// or closes it (false); unset means the default of whoever runs remedy
	// (off for the CLI, serve's defaults.dashboard for the server).
	Dashboard *bool `yaml:"dashboard"`
}

// PSS configures the Pod Security Standards checks.
type PSS struct {
	// Version is the policy version, "v1.N" or "latest" (the default), as
	// the pod-security.kubernetes.io/enforce-version label names it.
	Version string `yaml:"version"`
}

// LatestPSSMinor is the newest Pod Security Standards policy version remedy
// knows, v1.37: the one of k8s.io/pod-security-admission v0.37, which the
// tests use as the reference.
const LatestPSSMinor = 37

// ParsePSSVersion reads "latest" or "v1.N" (N at most LatestPSSMinor) and
// returns N. A newer version is an error rather than silently the newest
// remedy knows: its rules may differ.
func ParsePSSVersion(v string) (int, error) {
	if v == "" || v == "latest" {
		return LatestPSSMinor, nil
	}
	minor, ok := strings.CutPrefix(v, "v1.")
	n, err := strconv.Atoi(minor)
	if !ok || err != nil || n < 0 || strconv.Itoa(n) != minor {
		return 0, fmt.Errorf("pss.version %q: want latest or v1.N, e.g. v1.%d", v, LatestPSSMinor)
	}
	if n > LatestPSSMinor {
		return 0, fmt.Errorf("pss.version %q: remedy knows the Pod Security Standards up to v1.%d", v, LatestPSSMinor)
	}
	return n, nil
}

// PSSMinor is the configured policy version's minor number (the newest
// when unset). Parse has validated it.
func (c *Config) PSSMinor() int {
	n, err := ParsePSSVersion(c.PSS.Version)
	if err != nil {
		return LatestPSSMinor
	}
	return n
}

// Images configures reading container images from their registries.
type Images struct {
	// Resolve turns on what --resolve-images does: image-tag pinned by
	// digest, and fixes checked against each container's image. remedy
	// serve honours it only when its own config allows image resolution.
	Resolve bool `yaml:"resolve"`
}

// Controls turns controls on and off. With Enable set, only those run.
type Controls struct {
	Disable []string `yaml:"disable"`
	Enable  []string `yaml:"enable"`
	// Accept suppresses a control's findings repository-wide, with a
	// reason and an optional end: an accepted risk, as an ignore comment
	// is one for a single field.
	Accept []Accepted `yaml:"accept"`
}

// Accepted is a risk accepted for every finding of a control: the
// findings stay in every output, suppressed with Reason, until the day
// Until (YYYY-MM-DD, UTC) has passed, when they are active again.
type Accepted struct {
	Control string `yaml:"control"`
	Reason  string `yaml:"reason"`
	Until   string `yaml:"until"`
}

// UntilDate is Until as a date; zero when unset. Parse has validated it.
func (a Accepted) UntilDate() time.Time {
	t, _ := time.Parse(time.DateOnly, a.Until)
	return t
}

// Defaults are values fixes may write.
type Defaults struct {
	Resources Resources `yaml:"resources"`
}

// ResourceDefaults are the default resources by field of a container's
// resources ("limits", "requests"), as the controls and fixers read them.
func (d Defaults) ResourceDefaults() map[string]map[string]string {
	return map[string]map[string]string{"limits": d.Resources.Limits, "requests": d.Resources.Requests}
}

// Resources are default container resources, e.g. limits: {cpu: 500m, memory: 256Mi}.
type Resources struct {
	Limits   map[string]string `yaml:"limits"`
	Requests map[string]string `yaml:"requests"`
}

// Templates override the embedded PR templates with files of the repo.
type Templates struct {
	Title  string `yaml:"title"`
	Body   string `yaml:"body"`
	Commit string `yaml:"commit"`
	// Dashboard is the dashboard issue's body.
	Dashboard string `yaml:"dashboard"`
}

// Helm configures chart rendering.
type Helm struct {
	ValuesFiles []string  `yaml:"valuesFiles"`
	Releases    []Release `yaml:"releases"`
}

// Release is one configured rendering of a chart.
type Release struct {
	Name        string   `yaml:"name"`
	Namespace   string   `yaml:"namespace"`
	Chart       string   `yaml:"chart"`
	ValuesFiles []string `yaml:"valuesFiles"`
}

// Error is a config problem at a line of the file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// MaxFileSize bounds FileName: a config is a few hundred bytes, and the
// repository, not the operator, chooses what the file is.
const MaxFileSize = 1 << 20

// ReadFile reads FileName (or AltFileName) of the repository at dir,
// confined to it (repofs): a FIFO, a device, a symlink out of the
// repository or a file over MaxFileSize is an error naming the file. A
// missing file is an error that errors.Is(err, fs.ErrNotExist).
func ReadFile(dir string) ([]byte, error) {
	_, b, err := ReadNamed(dir)
	return b, err
}

// ReadNamed is ReadFile that also says which of the two names it read.
// Both names present is an error naming both.
func ReadNamed(dir string) (string, []byte, error) {
	b, err := repofs.ReadFile(dir, FileName, MaxFileSize)
	alt, altErr := repofs.ReadFile(dir, AltFileName, MaxFileSize)
	switch {
	case err == nil && altErr == nil:
		return FileName, nil, fmt.Errorf("both %s and %s are present: keep one", FileName, AltFileName)
	case altErr == nil && errors.Is(err, fs.ErrNotExist):
		return AltFileName, alt, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return FileName, nil, err
	case altErr != nil && !errors.Is(altErr, fs.ErrNotExist):
		return AltFileName, nil, altErr
	}
	return FileName, b, err
}

// Load reads FileName or AltFileName from dir (see ReadNamed). A missing
// file is the zero Config.
func Load(dir string) (*Config, error) {
	name, b, err := ReadNamed(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(name, b)
}

// LoadKnown is Load that also refuses a control ID known does not list
// (CheckControlIDs): what remedy serve and the PR commands read.
func LoadKnown(dir string, known []string) (*Config, error) {
	name, b, err := ReadNamed(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := Parse(name, b)
	if err != nil {
		return nil, err
	}
	if err := CheckControlIDs(name, b, known); err != nil {
		return nil, err
	}
	return c, nil
}

// Exists reports whether dir holds FileName or AltFileName (any file type:
// reading it decides whether it is usable).
func Exists(dir string) bool {
	for _, n := range []string{FileName, AltFileName} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// Discover returns the folder of the config that applies to path: the
// nearest folder, from path's own (path itself when it is a folder) up to
// and including top, that holds FileName or AltFileName; "" when none does
// or path is not under top.
func Discover(path, top string) string {
	dir, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		dir = filepath.Dir(dir)
	}
	top, err = filepath.Abs(top)
	if err != nil {
		return ""
	}
	for {
		if rel, err := filepath.Rel(top, dir); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return ""
		}
		if Exists(dir) {
			return dir
		}
		if dir == top {
			return ""
		}
		dir = filepath.Dir(dir)
	}
}

// CheckControlIDs reports the first ID of controls.enable or
// controls.disable in the config file b that known does not list, with
// its line, and the nearest known ID when one is close: a typo must not
// silently turn a control (or, with enable, every control) off. The
// config package does not know the catalog (the scanner imports config),
// so the caller passes the IDs in.
func CheckControlIDs(file string, b []byte, known []string) error {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return nil // Parse reports it
	}
	for _, key := range []string{"enable", "disable"} {
		list := nodeAt(&doc, "controls", key)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for _, n := range list.Content {
			id := n.Value
			if n.Kind != yaml.ScalarNode || slices.Contains(known, id) {
				continue
			}
			msg := fmt.Sprintf("controls.%s: unknown control %q (remedy controls lists them)", key, id)
			if s := Suggest(id, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return &Error{File: file, Line: n.Line, Msg: msg}
		}
	}
	if list := nodeAt(&doc, "controls", "accept"); list != nil && list.Kind == yaml.SequenceNode {
		for _, item := range list.Content {
			n := nodeAt(item, "control")
			if n == nil || n.Kind != yaml.ScalarNode || slices.Contains(known, n.Value) {
				continue
			}
			msg := fmt.Sprintf("controls.accept: unknown control %q (remedy controls lists them)", n.Value)
			if s := Suggest(n.Value, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return &Error{File: file, Line: n.Line, Msg: msg}
		}
	}
	return nil
}

// Suggest returns the known ID nearest to id by edit distance when it is
// close enough to be a typo (at most a third of its length), else "".
func Suggest(id string, known []string) string {
	best, bestD := "", len(id)/3+1
	for _, k := range known {
		if d := editDistance(id, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// nodeAt returns the value node at a path of mapping keys in doc, or nil.
func nodeAt(doc *yaml.Node, keys ...string) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		var next *yaml.Node
		for i := 0; n != nil && n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// Parse reads a config from bytes; name is used in errors.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		return nil, yamlError(name, "invalid YAML: ", err)
	}
	if err := checkKeys(name, &doc, reflect.TypeOf(c).Elem(), ""); err != nil {
		return nil, err
	}
	if err := doc.Decode(c); err != nil {
		return nil, yamlError(name, "", err)
	}
	return c, c.validate(name, &doc)
}

// yamlError makes a config Error of a YAML error, moving the line yaml
// writes into the message ("line 3: ...") to Error.Line. Of an unmarshal
// error's list, the first is reported, like the first unknown key.
func yamlError(file, prefix string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var typeErr *yaml.TypeError
	if errors.As(err, &typeErr) && len(typeErr.Errors) > 0 {
		msg = typeErr.Errors[0]
	}
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, text, ok := strings.Cut(rest, ": ")
		if n, convErr := strconv.Atoi(num); ok && convErr == nil {
			line, msg = n, text
		}
	}
	return &Error{File: file, Line: line, Msg: prefix + msg}
}

// checkKeys walks n against the struct type t and reports the first key
// that t does not declare, with its line.
func checkKeys(file string, n *yaml.Node, t reflect.Type, prefix string) error {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if err := checkKeys(file, c, t, prefix); err != nil {
				return err
			}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("%s must be a mapping", nonEmpty(strings.TrimSuffix(prefix, "."), "the config"))}
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			fields[tag] = t.Field(i).Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (known keys of %s: %s)", prefix+k.Value, nonEmpty(strings.TrimSuffix(prefix, "."), "the config"), strings.Join(names, ", "))}
			}
			if err := checkKeys(file, n.Content[i+1], ft, prefix+k.Value+"."); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkKeys(file, c, t.Elem(), prefix); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var severities = []string{"", "low", "medium", "high", "critical"}

func (c *Config) validate(file string, doc *yaml.Node) error {
	lineOf := func(key string) int {
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			root := doc.Content[0]
			for i := 0; i+1 < len(root.Content); i += 2 {
				if root.Content[i].Value == key {
					return root.Content[i].Line
				}
			}
		}
		return 0
	}
	if _, err := ParsePSSVersion(c.PSS.Version); err != nil {
		return &Error{File: file, Line: max(lineOfPath(doc, "pss", "version"), lineOf("pss")), Msg: err.Error()}
	}
	for i, a := range c.Controls.Accept {
		line := max(lineOfPath(doc, "controls", "accept"), lineOf("controls"))
		if n := nodeAt(doc, "controls", "accept"); n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
			line = n.Content[i].Line
		}
		switch {
		case a.Control == "":
			return &Error{File: file, Line: line, Msg: "controls.accept: an entry names no control"}
		case strings.TrimSpace(a.Reason) == "":
			return &Error{File: file, Line: line, Msg: fmt.Sprintf("controls.accept %s: give the reason the risk is accepted", a.Control)}
		case a.Until != "":
			if _, err := time.Parse(time.DateOnly, a.Until); err != nil {
				return &Error{File: file, Line: line, Msg: fmt.Sprintf("controls.accept %s: until %q: want a date, YYYY-MM-DD", a.Control, a.Until)}
			}
		}
	}
	if !slices.Contains(severities, strings.ToLower(c.Severity)) {
		return &Error{File: file, Line: lineOf("severity"), Msg: fmt.Sprintf("severity %q: want low, medium, high or critical", c.Severity)}
	}
	switch c.Group {
	case "", "repo", "per-repo", "per-control", "risk":
	default:
		return &Error{File: file, Line: lineOf("group"), Msg: fmt.Sprintf("group %q: want repo, per-control or risk", c.Group)}
	}
	for _, g := range c.Exclude {
		if !doublestar.ValidatePattern(g) {
			return &Error{File: file, Line: lineOf("exclude"), Msg: fmt.Sprintf("exclude: invalid glob %q", g)}
		}
	}
	for kind, m := range map[string]map[string]string{"limits": c.Defaults.Resources.Limits, "requests": c.Defaults.Resources.Requests} {
		for k := range m {
			if k != "cpu" && k != "memory" && k != "ephemeral-storage" {
				return &Error{File: file, Line: lineOf("defaults"), Msg: fmt.Sprintf("defaults.resources.%s.%s: want cpu, memory or ephemeral-storage", kind, k)}
			}
			// A value fixes write must be one the API server accepts.
			if _, err := resource.ParseQuantity(m[k]); err != nil {
				return &Error{File: file, Line: max(lineOfPath(doc, "defaults", "resources", kind, k), lineOf("defaults")),
					Msg: fmt.Sprintf("defaults.resources.%s.%s %q: not a Kubernetes quantity (e.g. 500m, 256Mi)", kind, k, m[k])}
			}
		}
	}
	return nil
}

// lineOfPath returns the line of the key at a path of mappings in doc, or 0.
func lineOfPath(doc *yaml.Node, keys ...string) int {
	n, line := doc, 0
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		var next *yaml.Node
		for i := 0; n != nil && n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				line, next = n.Content[i].Line, n.Content[i+1]
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return line
}

// Rebase makes the config's paths, written relative to its own folder,
// relative to the scan root when the config lives in prefix (a slash path
// below the root): exclude globs, Helm release charts, and values files
// that are paths (a bare file name stays a name looked up in the chart
// folder).
func (c *Config) Rebase(prefix string) {
	if prefix == "" || prefix == "." {
		return
	}
	join := func(p string) string { return prefix + "/" + strings.TrimPrefix(p, "./") }
	for i, g := range c.Exclude {
		c.Exclude[i] = join(g)
	}
	paths := func(vs []string) {
		for i, v := range vs {
			if strings.Contains(v, "/") {
				vs[i] = join(v)
			}
		}
	}
	paths(c.Helm.ValuesFiles)
	for i := range c.Helm.Releases {
		c.Helm.Releases[i].Chart = join(c.Helm.Releases[i].Chart)
		paths(c.Helm.Releases[i].ValuesFiles)
	}
}

// Excluded reports whether a root-relative slash path matches an exclude
// glob. A glob also matches everything below a matching folder.
func (c *Config) Excluded(rel string) bool {
	for _, g := range c.Exclude {
		g = strings.TrimPrefix(g, "./")
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
		if ok, _ := doublestar.Match(strings.TrimSuffix(g, "/")+"/**", rel); ok {
			return true
		}
	}
	return false
}

// ControlEnabled reports whether a control runs under this config.
func (c *Config) ControlEnabled(id string) bool {
	if slices.Contains(c.Controls.Disable, id) {
		return false
	}
	return len(c.Controls.Enable) == 0 || slices.Contains(c.Controls.Enable, id)
}
