// Package templates holds the texts of fix pull requests: title, body and
// commit message, and the body of the dashboard issue, as Go text/template
// files embedded in the binary. A repository may replace any of them with
// a file of its own (.remedy.yaml templates.title, templates.body,
// templates.commit, templates.dashboard); the fields a template can use
// are those of Data (DashboardData for the dashboard).
package templates

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
)

//go:embed title.tmpl body.tmpl commit.tmpl dashboard.tmpl
var files embed.FS

// Template names, as in .remedy.yaml's templates section.
const (
	Title  = "title"
	Body   = "body"
	Commit = "commit"
)

// Data is what the templates render.
type Data struct {
	// Repo is owner/name; RepoURL its web address ("" when unknown), for links.
	Repo, RepoURL string
	// Base is the branch the fixes are for; Branch holds them.
	Base, Branch string
	// Group is the control ID of a per-control pull request, else "".
	Group string
	// Title is the rendered title (set for the body and commit templates).
	Title string
	// Controls are the controls fixed, by ID.
	Controls []Control
	// Findings are every finding fixed, in file order; Table the first of
	// them (a body has a size limit) and Truncated how many were left out.
	Findings  []Finding
	Table     []Finding
	Truncated int
	// Resources name the objects edited ("Deployment shop/web"), Files the
	// files, both sorted.
	Resources []string
	Files     []string
	// Declined counts the findings left out because a pull request with
	// their fixes was closed without merging.
	Declined int
	// Live names the objects running in a cluster that these files deploy
	// ("Deployment shop/web"), sorted, when a cluster sweep found the fixes.
	Live []string
	// Cluster names the cluster the live objects run in.
	Cluster string
	// Risks group the fixes by what they risk: level "none" first (cannot
	// change what a working container does), then "review".
	Risks []RiskGroup
	// Images say, per container, what the image-dependent fixes were
	// checked against (--resolve-images); Unchecked counts those fixes
	// made without image data.
	Images    []ImageCheck
	Unchecked int
}

// RiskGroup is the fixes of one risk level.
type RiskGroup struct {
	Level    string
	Controls []RiskControl
}

// RiskControl is one control's fixes in a risk group.
type RiskControl struct {
	ID    string
	Count int
	// Verified is true when these fixes were checked against the image
	// and found safe; Breaks and Check are the control's documented risk.
	Verified      bool
	Breaks, Check string
}

// ImageCheck is what was checked against one container's image.
type ImageCheck struct {
	// Resource names the object and container.
	Resource, Image, Digest string
	// Verified and Unverified are "control: detail" lines.
	Verified, Unverified []string
}

// Control is a control with fixed findings.
type Control struct {
	ID, Title, Severity string
	Why, HowToFix       string
	Refs                []string
	Count               int
}

// Finding is one fixed finding.
type Finding struct {
	Control, Severity string
	// Resource names the object and container: "Deployment shop/web, container app".
	Resource string
	File     string
	Line     int
	Path     string
	Refs     []string
}

// Set is a parsed title, body and commit template.
type Set struct {
	t map[string]*template.Template
	// files name the repository's template files, by template name.
	files map[string]string
}

// Source is a template of the repository: its text and the file it was
// read from, named in errors.
type Source struct {
	Text, File string
}

// Parse parses the embedded templates, each replaced by the text of the
// same name in overrides when there is one.
func Parse(overrides map[string]string) (*Set, error) {
	srcs := make(map[string]Source, len(overrides))
	for name, text := range overrides {
		srcs[name] = Source{Text: text}
	}
	return ParseSources(srcs)
}

// ParseSources is Parse with the files the overrides were read from. A
// template over its budget (budget.go) is refused here, or when it runs.
func ParseSources(overrides map[string]Source) (*Set, error) {
	s := &Set{t: map[string]*template.Template{}, files: map[string]string{}}
	for _, name := range []string{Title, Body, Commit, Dashboard} {
		src, ok := overrides[name]
		if !ok {
			b, err := files.ReadFile(name + ".tmpl")
			if err != nil {
				return nil, fmt.Errorf("embedded template %s: %w", name, err)
			}
			src.Text = string(b)
		}
		s.files[name] = src.File
		t, err := template.New(name).Funcs(Funcs()).Option("missingkey=error").Parse(src.Text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.describe(name), err)
		}
		if err := checkTree(t); err != nil {
			return nil, fmt.Errorf("%s: %w", s.describe(name), err)
		}
		s.t[name] = t
	}
	for name := range overrides {
		if s.t[name] == nil {
			return nil, fmt.Errorf("template %q: want title, body, commit or dashboard", name)
		}
	}
	return s, nil
}

// describe names a template in errors: "body template (docs/pr.md)".
func (s *Set) describe(name string) string {
	if f := s.files[name]; f != "" {
		return name + " template (" + f + ")"
	}
	return name + " template"
}

// Default is the embedded text of a template.
func Default(name string) (string, error) {
	b, err := files.ReadFile(name + ".tmpl")
	if err != nil {
		return "", fmt.Errorf("template %q: want title, body, commit or dashboard", name)
	}
	return string(b), nil
}

// Render renders the title (one line, trimmed), then the body and commit
// message with d.Title set. What d holds from the repository (file paths,
// object and container names, the branch) is made one line and bounded
// first, whatever template renders it (see bounded).
func (s *Set) Render(d Data) (title, body, commit string, err error) {
	d = d.bounded()
	if title, err = s.exec(Title, d); err != nil {
		return "", "", "", err
	}
	title = oneline.Fold(title)
	if title == "" {
		return "", "", "", fmt.Errorf("%s: renders empty", s.describe(Title))
	}
	d.Title = title
	if body, err = s.exec(Body, d); err != nil {
		return "", "", "", err
	}
	if commit, err = s.exec(Commit, d); err != nil {
		return "", "", "", err
	}
	return title, strings.TrimSpace(body) + "\n", strings.TrimSpace(commit) + "\n", nil
}

// exec runs one template within its budget: the ranges bounded for this
// data before it starts, the output and the time while it runs. A
// template stopped at its deadline finishes in the background, within
// MaxIterations.
func (s *Set) exec(name string, d any) (string, error) {
	t := s.t[name]
	if err := checkIterations(t, lengthsOf(d)); err != nil {
		return "", fmt.Errorf("%s: %w", s.describe(name), err)
	}
	w := &limitedWriter{max: MaxOutput, deadline: time.Now().Add(Timeout)}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- t.Execute(w, d)
	}()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.describe(name), err)
		}
	case <-timer.C:
		return "", fmt.Errorf("%s: %w: the execution took longer than %s", s.describe(name), errOverBudget, Timeout)
	}
	return w.b.String(), nil
}

// Funcs are the functions the templates may call besides text/template's.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"join":            strings.Join,
		"lower":           strings.ToLower,
		"plural":          plural.Count,
		"code":            code,
		"cell":            cell,
		"plain":           plain,
		"urlPath":         quote.URLPath,
		"controlList":     controlList,
		"resourceSummary": resourceSummary,
	}
}

// code writes s as a Markdown code span, whatever it holds: the one way
// remedy quotes untrusted text in Markdown (package quote).
func code(s string) string { return quote.Code(s) }

// cell writes s as a code span safe in a Markdown table cell.
func cell(s string) string { return quote.Cell(s) }

// plain writes s for a title or commit message: one line, cut, no
// mention.
func plain(s string) string { return quote.Plain(s, quote.Limit) }

// maxField bounds each string of Data that comes from a repository: room
// for any real path or object name, none for a megabyte.
const maxField = 1000

// bounded returns d with every string that comes from the repository (file
// paths, object and container names, JSON paths, branches, live objects)
// made one line of at most maxField runes. Templates a repository supplies
// may print them as they like; no line break from a file name can start a
// commit trailer or a Markdown block there.
func (d Data) bounded() Data {
	line := func(s string) string { return quote.Line(s, maxField) }
	lines := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = line(s)
		}
		return out
	}
	findings := func(fs []Finding) []Finding {
		out := make([]Finding, len(fs))
		for i, f := range fs {
			f.Resource, f.File, f.Path = line(f.Resource), line(f.File), line(f.Path)
			out[i] = f
		}
		return out
	}
	d.Base, d.Branch, d.Group = line(d.Base), line(d.Branch), line(d.Group)
	d.Findings, d.Table = findings(d.Findings), findings(d.Table)
	d.Resources, d.Files, d.Live = lines(d.Resources), lines(d.Files), lines(d.Live)
	return d
}

// controlList names up to n controls: "a, b and 3 more".
func controlList(cs []Control, n int) string {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return list(ids, n)
}

func list(items []string, n int) string {
	switch {
	case len(items) == 0:
		return ""
	case len(items) > n && n > 0:
		return strings.Join(items[:n], ", ") + " and " + strconv.Itoa(len(items)-n) + " more"
	case len(items) == 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// resourceSummary names one resource, or counts several; it is for
// titles (plain).
func resourceSummary(rs []string) string {
	if len(rs) == 1 {
		return plain(rs[0])
	}
	return plural.Count(len(rs), "resource")
}
