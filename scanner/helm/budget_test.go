package helm

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testBudget is small, so that the hostile charts fail fast and light; the
// defaults are the same mechanism with bigger numbers.
var testBudget = Budget{Timeout: 3 * time.Second, MaxOutput: 1 << 20, MaxMemory: 256 << 20}

// TestHostileChartsStopWithinBudget renders the hostile charts of the
// security report (issue 18): each stops with an error naming the chart,
// and the scan of the rest goes on.
func TestHostileChartsStopWithinBudget(t *testing.T) {
	for _, tc := range []struct {
		chart  string
		budget Budget
		want   []string
	}{
		{chart: "hostile-until", budget: Budget{Timeout: 20 * time.Second, MaxMemory: 64 << 20}, want: []string{"used more than 64 MiB of memory"}},
		{chart: "hostile-tpl", budget: Budget{Timeout: 20 * time.Second, MaxMemory: 64 << 20}, want: []string{"used more than 64 MiB of memory"}},
		{chart: "hostile-loop", budget: Budget{Timeout: 500 * time.Millisecond}, want: []string{"took longer than 500ms"}},
		{chart: "hostile-subchart", budget: testBudget, want: []string{
			"over the 1048576-byte budget", "the largest template is hostile-subchart/charts/big/templates/big.yaml"}},
		{chart: "hostile-deployments", budget: Budget{MaxDocuments: 1000}, want: []string{
			"holds 20001 documents, over the 1000-document budget", "hostile-deployments/templates/many.yaml writes 20001"}},
	} {
		t.Run(tc.chart, func(t *testing.T) {
			root, err := filepath.Abs("testdata")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = Render(filepath.Join(root, tc.chart), Release{Name: "x"}, Options{Root: root, Budget: tc.budget})
			if err == nil {
				t.Fatal("rendered; want an error over budget")
			}
			if !errors.Is(err, errBudget) {
				t.Errorf("error %q is not a budget error", err)
			}
			for _, w := range append([]string{"helm template " + tc.chart + ":"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want one containing %q", err, w)
				}
			}
			// Not a timing assertion: a render killed at its budget
			// returns, where it used to run for minutes.
			t.Logf("%s: %v after %v", tc.chart, err, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestWithinBudgetRendersAsBefore: a chart under budget renders as it
// did in process, with its values' Go types kept across the child.
func TestValuesKeepTheirTypesInTheChild(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/Chart.yaml":          chartYAML,
		"web/values.yaml":         "big: 1000000\nname: web\nnothing: null\nlist: [1, a, true]\n",
		"web/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\ndata:\n  big: {{ .Values.big | quote }}\n  int: {{ .Values.int | quote }}\n  i64: {{ .Values.i64 | quote }}\n  none: {{ .Values.nothing | quote }}\n  list: {{ .Values.list | toJson | quote }}\n",
		"web/templates/NOTES.txt": "hello",
	})
	res, err := Render(filepath.Join(dir, "web"), Release{Name: "web", Values: []Values{{
		Values: map[string]any{"int": 1000000, "i64": int64(math.MaxInt64)}, From: "test",
	}}}, Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := string(res.File.Bytes)
	for _, want := range []string{`big: "1e+06"`, `int: "1000000"`, `i64: "9223372036854775807"`, `list: "[1,\"a\",true]"`} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestRenderChildRefusesGrandchildren: a test binary without the TestMain
// hook would run its tests as the child; those must not start more.
func TestRenderChildRefusesGrandchildren(t *testing.T) {
	t.Setenv(ChildEnv, "1")
	dir := writeTree(t, map[string]string{"web/Chart.yaml": chartYAML, "web/templates/cm.yaml": "kind: ConfigMap\n"})
	_, err := Render(filepath.Join(dir, "web"), Release{Name: "web"}, Options{Root: dir})
	if err == nil || !strings.Contains(err.Error(), "RunChildIfRequested") {
		t.Errorf("error %v, want a refusal naming RunChildIfRequested", err)
	}
	os.Unsetenv(ChildEnv)
}

// TestChildSession: the renders of one release share a child; a render
// over budget kills it, the next starts another; an idle child exits.
func TestChildSession(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/Chart.yaml":          chartYAML,
		"web/values.yaml":         "n: 1\n",
		"web/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  x: {{ range until (int .Values.n) }}x{{ end }}\n",
		"web/templates/NOTES.txt": "",
	})
	r, err := newRenderer(filepath.Join(dir, "web"), Release{Name: "web"}, Options{Root: dir, Budget: Budget{Timeout: 2 * time.Second, MaxMemory: 64 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	pid := func() int {
		r.child.mu.Lock()
		defer r.child.mu.Unlock()
		if r.child.cmd == nil {
			return 0
		}
		return r.child.cmd.Process.Pid
	}
	renderN := func(n int) error {
		_, err := r.renderTemplates(map[string]any{"n": n}, nil)
		return err
	}
	if err := renderN(3); err != nil {
		t.Fatal(err)
	}
	first := pid()
	if err := renderN(4); err != nil || pid() != first || first == 0 {
		t.Fatalf("second render: %v, child %d then %d; want the same child", err, first, pid())
	}
	if err := renderN(100000000); !errors.Is(err, errBudget) {
		t.Fatalf("render over budget: %v", err)
	}
	if pid() != 0 {
		t.Error("the child over budget was kept")
	}
	if err := renderN(2); err != nil || pid() == 0 || pid() == first {
		t.Fatalf("render after a kill: %v, child %d (first %d); want a new child", err, pid(), first)
	}
	r.child.mu.Lock()
	exited := r.child.exited
	r.child.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(childIdle + 5*time.Second):
		t.Fatal("the idle child did not exit")
	}
}

// TestChartsShareAChild: the charts of one scan render in one child, in
// turn: a chart over budget kills it and fails alone, and the next chart
// renders in a new child, as it would have in its own.
func TestChartsShareAChild(t *testing.T) {
	root, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{"web/Chart.yaml": chartYAML, "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"})
	budget := Budget{Timeout: 20 * time.Second, MaxMemory: 64 << 20}
	child := NewChild(budget)
	pid := func() int {
		child.mu.Lock()
		defer child.mu.Unlock()
		if child.cmd == nil {
			return 0
		}
		return child.cmd.Process.Pid
	}
	render := func(chartRoot, chart, release string) (*Result, error) {
		return Render(filepath.Join(chartRoot, chart), Release{Name: release}, Options{Root: chartRoot, Budget: budget, Child: child})
	}
	res, err := render(dir, "web", "one")
	if err != nil || !strings.Contains(string(res.File.Bytes), "name: one") {
		t.Fatalf("first chart: %v", err)
	}
	first := pid()
	if res, err := render(dir, "web", "two"); err != nil || !strings.Contains(string(res.File.Bytes), "name: two") || pid() != first || first == 0 {
		t.Fatalf("second chart: %v, child %d then %d; want the first child", err, first, pid())
	}
	if _, err := render(root, "hostile-until", "x"); !errors.Is(err, errBudget) || !strings.Contains(err.Error(), "helm template hostile-until:") {
		t.Fatalf("hostile chart: %v; want its own budget error", err)
	}
	if res, err := render(dir, "web", "three"); err != nil || !strings.Contains(string(res.File.Bytes), "name: three") || pid() == first {
		t.Fatalf("chart after the hostile one: %v, child %d (first %d); want a new child", err, pid(), first)
	}
}

// TestRenderContextStopsTheChild: an interrupted run stops the render in
// flight, not after its budget.
func TestRenderContextStopsTheChild(t *testing.T) {
	root, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err = RenderContext(ctx, filepath.Join(root, "hostile-loop"), Release{Name: "x"}, Options{Root: root, Budget: Budget{Timeout: time.Minute}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
