package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/remedy-bot/remedy/scanner"
)

// Why a child process: a chart's templates are a program (text/template
// with sprig's until, repeat and tpl), written by whoever can push to the
// repository. text/template cannot be stopped from outside once it runs,
// and `{{ range until 100000000 }}` or a recursive `tpl` takes gigabytes
// in seconds. Each render therefore runs in a child: this same binary
// re-executed with ChildEnv set, which reads one request (the chart's
// files and values) as JSON on stdin and writes the rendered templates as
// JSON on stdout. The parent kills its process group when the render
// takes longer than Budget.Timeout and stops reading past
// Budget.MaxOutput; the child caps its own address space (RLIMIT_AS) and
// exits as soon as its heap passes Budget.MaxMemory. A chart over budget
// fails with an error naming it; the scan goes on.
//
// One child per release of a chart: its render, marker renders and
// boolean flips go through it, one request at a time, so that the ~40 ms
// of starting the binary is paid once per release, not per render, and
// no chart's render shares a process with another chart's. The garbage of
// one render counts against the next one's memory budget until
// collected: the memory limit (debug.SetMemoryLimit, the budget) makes
// the collector run before the watchdog's threshold. A child is closed
// when its release is rendered and traced, or after childIdle without a
// render (measured in README's "Budgets").

// ChildEnv is the environment variable that makes a process a render
// child; its value is the memory budget in bytes.
const ChildEnv = "REMEDY_HELM_RENDER_CHILD"

// Exit codes of the render child.
const (
	childExitMemory = 71
	childExitBadRun = 72
)

// Budget bounds one render of one chart. Zero fields take the defaults.
type Budget struct {
	// Timeout is the wall-clock time one render may take.
	Timeout time.Duration
	// MaxOutput is the most bytes of rendered templates one render may
	// produce.
	MaxOutput int64
	// MaxMemory is the most heap the render child may use.
	MaxMemory int64
	// MaxDocuments is the most YAML documents one render may produce,
	// as scanner.LoadOptions.MaxDocuments bounds those of one file.
	MaxDocuments int
}

// Default budgets: a real chart renders in milliseconds to a few hundred
// KiB (podinfo: 20 KiB). The child's memory is the container's too when
// remedy serve runs in one (deploy/: a 1 GiB limit): 512 MiB leaves the
// server its own.
const (
	DefaultRenderTimeout = 10 * time.Second
	DefaultMaxOutput     = 20 << 20
	DefaultMaxMemory     = 512 << 20
)

// WithDefaults fills the zero fields of b.
func (b Budget) WithDefaults() Budget {
	if b.Timeout <= 0 {
		b.Timeout = DefaultRenderTimeout
	}
	if b.MaxOutput <= 0 {
		b.MaxOutput = DefaultMaxOutput
	}
	if b.MaxMemory <= 0 {
		b.MaxMemory = DefaultMaxMemory
	}
	if b.MaxDocuments <= 0 {
		b.MaxDocuments = scanner.DefaultMaxDocuments
	}
	return b
}

// childFile is one file of the chart, as the chart loader takes them.
type childFile struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// renderRequest is what the child renders: the chart's files, the values
// of the chart and of each subchart (by full chart path, after the marker
// render changed them), the user values and the release.
type renderRequest struct {
	Files        []childFile           `json:"files"`
	ChartValues  map[string]*wireValue `json:"chartValues"`
	Values       *wireValue            `json:"values"`
	Name         string                `json:"name"`
	Namespace    string                `json:"namespace"`
	MaxOutput    int64                 `json:"maxOutput"`
	MaxDocuments int                   `json:"maxDocuments"`
}

// renderResponse is the child's answer: the rendered templates by name, or
// an error from a stage ("dependencies", "values", "render", "output",
// "load"), worded as helm words it.
type renderResponse struct {
	Rendered map[string]string `json:"rendered,omitempty"`
	Stage    string            `json:"stage,omitempty"`
	Error    string            `json:"error,omitempty"`
}

// RunChildIfRequested makes this process a render child and exits, when
// it was started as one (ChildEnv is set); otherwise it returns at once.
// Call it first thing in main, and in TestMain of every package whose
// tests render charts (the test binary is the child there):
//
//	func TestMain(m *testing.M) { helm.RunChildIfRequested(); os.Exit(m.Run()) }
func RunChildIfRequested() {
	v, ok := os.LookupEnv(ChildEnv)
	if !ok {
		return
	}
	limit, err := strconv.ParseInt(v, 10, 64)
	if err != nil || limit <= 0 {
		fmt.Fprintf(os.Stderr, "%s=%q: want a memory budget in bytes\n", ChildEnv, v)
		os.Exit(childExitBadRun)
	}
	os.Exit(runChild(os.Stdin, os.Stdout, os.Stderr, limit))
}

// runChild serves render requests, one JSON value per line, until its
// input ends, and returns the exit code.
func runChild(stdin io.Reader, stdout, stderr io.Writer, memory int64) int {
	capMemory(memory)
	stop := watchHeap(memory, stderr)
	defer stop()
	dec := json.NewDecoder(stdin)
	enc := json.NewEncoder(stdout)
	for {
		var req renderRequest
		if err := dec.Decode(&req); errors.Is(err, io.EOF) {
			return 0
		} else if err != nil {
			fmt.Fprintf(stderr, "render child: read request: %v\n", err)
			return childExitBadRun
		}
		resp := renderInChild(&req)
		if err := enc.Encode(resp); err != nil {
			fmt.Fprintf(stderr, "render child: write answer: %v\n", err)
			return childExitBadRun
		}
	}
}

// renderInChild renders a request as renderTemplates did in process.
func renderInChild(req *renderRequest) (resp *renderResponse) {
	defer func() {
		if p := recover(); p != nil {
			resp = &renderResponse{Stage: "panic", Error: fmt.Sprint(p)}
		}
	}()
	var bf []*loader.BufferedFile
	for _, f := range req.Files {
		bf = append(bf, &loader.BufferedFile{Name: f.Name, Data: f.Data})
	}
	ch, err := loader.LoadFiles(bf)
	if err != nil {
		return &renderResponse{Stage: "load", Error: err.Error()}
	}
	eachChart(ch, func(c *chart.Chart) {
		if v, ok := req.ChartValues[c.ChartFullPath()]; ok {
			c.Values = fromWireMap(v)
		}
	})
	vals := fromWireMap(req.Values)
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return &renderResponse{Stage: "dependencies", Error: err.Error()}
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{
		Name: req.Name, Namespace: req.Namespace, Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return &renderResponse{Stage: "values", Error: err.Error()}
	}
	out, err := (engine.Engine{}).Render(ch, rv)
	if err != nil {
		return &renderResponse{Stage: "render", Error: err.Error()}
	}
	if msg := overOutput(out, req.MaxOutput); msg != "" {
		return &renderResponse{Stage: "output", Error: msg}
	}
	if msg := overDocuments(out, req.MaxDocuments); msg != "" {
		return &renderResponse{Stage: "documents", Error: msg}
	}
	return &renderResponse{Rendered: out}
}

// overOutput says how rendered templates exceed max bytes, naming the
// largest; "" when they do not.
func overOutput(out map[string]string, max int64) string {
	var total int64
	names := make([]string, 0, len(out))
	for n, s := range out {
		total += int64(len(s))
		names = append(names, n)
	}
	if max <= 0 || total <= max {
		return ""
	}
	sort.Slice(names, func(i, j int) bool {
		if len(out[names[i]]) != len(out[names[j]]) {
			return len(out[names[i]]) > len(out[names[j]])
		}
		return names[i] < names[j]
	})
	return fmt.Sprintf("the output is %d bytes, over the %d-byte budget; the largest template is %s (%d bytes)",
		total, max, names[0], len(out[names[0]]))
}

// overDocuments says how rendered templates exceed max YAML documents,
// naming the template with the most; "" when they do not. A document
// starts at a line "---" (or "--- ..."); the count is an upper bound, as
// empty documents are counted too.
func overDocuments(out map[string]string, max int) string {
	if max <= 0 {
		return ""
	}
	total, most, mostName := 0, 0, ""
	for n, s := range out {
		c := 1 + strings.Count(s, "\n---\n") + strings.Count(s, "\n--- ")
		total += c
		if c > most || c == most && n < mostName {
			most, mostName = c, n
		}
	}
	if total <= max {
		return ""
	}
	return fmt.Sprintf("the output holds %d documents, over the %d-document budget; %s writes %d", total, max, mostName, most)
}

func eachChart(ch *chart.Chart, fn func(*chart.Chart)) {
	fn(ch)
	for _, sub := range ch.Dependencies() {
		eachChart(sub, fn)
	}
}

// capMemory makes the Go runtime collect hard near the budget, and the
// kernel refuse address space well past it: the watchdog is the clear
// error, the rlimit the guarantee when one allocation jumps past both.
// The Go runtime reserves about 1.6 GB of address space it never uses
// (arena hints, the binary's mappings), hence the 3 GiB on top.
func capMemory(budget int64) {
	debug.SetMemoryLimit(budget)
	// Go's default is 1 GB of stack per goroutine.
	debug.SetMaxStack(int(min(budget/2, 256<<20)))
	setAddressSpaceLimit(budget + 3<<30)
}

// watchHeap exits the process with childExitMemory as soon as its heap
// and goroutine stacks (a recursive tpl grows the stack, not the heap)
// pass budget, checked every 10 ms; and exits when its parent died (an
// interrupted remedy): the child runs in its own process group, which
// neither a terminal's ^C nor the parent's timer reaches any more.
func watchHeap(budget int64, stderr io.Writer) (stop func()) {
	done := make(chan struct{})
	parent := os.Getppid()
	go func() {
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if os.Getppid() != parent {
				os.Exit(childExitBadRun)
			}
			metrics.Read(samples)
			var used uint64
			for _, s := range samples {
				if s.Value.Kind() == metrics.KindUint64 {
					used += s.Value.Uint64()
				}
			}
			if int64(used) > budget {
				fmt.Fprintf(stderr, "memory budget exceeded: %d bytes in use, budget %d\n", used, budget)
				os.Exit(childExitMemory)
			}
		}
	}()
	return func() { close(done) }
}

// errBudget marks an error of a render over its budget.
var errBudget = errors.New("over budget")

// childIdle is how long a render child waits for its next render before
// it is closed: long enough for the next of a burst (the charts of a scan,
// the boolean flips one finding asks for), short enough that an idle
// service holds no child.
const childIdle = 250 * time.Millisecond

// Child is a render child process kept for a run of renders, one request
// and one answer at a time: the renders of one chart (the render, its
// marker renders and boolean flips), or of every chart of a scan
// (Options.Child). A render asks the child for nothing but templates
// rendered from what the request carries, so renders of different charts
// can share one; sharing saves the child's start, about 30 ms of CPU (the
// Go runtime and this binary's package initialisers) per chart. A child
// over budget is killed, and the next render starts another; an idle one
// is closed after childIdle, and one whose parent dies reads the end of
// its input and exits.
type Child struct {
	budget Budget

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *budgetReader
	dec    *json.Decoder
	stderr *limitedBuffer
	exited chan struct{}
	idle   *time.Timer
}

// NewChild returns a render child, started at its first render, whose
// renders keep to b (zero fields take the defaults).
func NewChild(b Budget) *Child { return &Child{budget: b.WithDefaults()} }

// budgetReader fails a read past its remaining bytes.
type budgetReader struct {
	r         io.Reader
	remaining int64
}

var errOutputBudget = errors.New("answer over the output budget")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.remaining <= 0 {
		return 0, errOutputBudget
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.r.Read(p)
	b.remaining -= int64(n)
	return n, err
}

// render sends req to the session's child (starting one when there is
// none) and returns its answer, within the budget.
func (s *Child) render(ctx context.Context, req *renderRequest) (*renderResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle != nil {
		s.idle.Stop()
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the render request: %w", err)
	}
	if s.cmd != nil {
		select {
		case <-s.exited:
			s.cmd = nil
		default:
		}
	}
	if s.cmd == nil {
		if err := s.start(ctx); err != nil {
			return nil, err
		}
	}
	// JSON escapes a byte in at most 6; the child checks MaxOutput on the
	// rendered text, this bound is for a child that does not.
	s.out.remaining = 6*s.budget.MaxOutput + 1<<20
	type answer struct {
		resp *renderResponse
		err  error
	}
	done := make(chan answer, 1)
	stdin, dec := s.stdin, s.dec
	go func() {
		if _, err := stdin.Write(append(body, '\n')); err != nil {
			done <- answer{err: err}
			return
		}
		var resp renderResponse
		err := dec.Decode(&resp)
		done <- answer{&resp, err}
	}()
	timer := time.NewTimer(s.budget.Timeout)
	defer timer.Stop()
	select {
	case a := <-done:
		if a.err == nil {
			s.idle = time.AfterFunc(childIdle, s.close)
			return a.resp, nil
		}
		if errors.Is(a.err, errOutputBudget) {
			s.kill()
			return nil, fmt.Errorf("%w: the output is over %d bytes (render output budget)", errBudget, s.budget.MaxOutput)
		}
		return nil, s.died(a.err)
	case <-timer.C:
		s.kill()
		return nil, fmt.Errorf("%w: the render took longer than %s (render timeout)", errBudget, s.budget.Timeout)
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
}

// start starts a child.
func (s *Child) start(ctx context.Context) error {
	if _, ok := os.LookupEnv(ChildEnv); ok {
		// A test binary without RunChildIfRequested in its TestMain runs
		// its tests as the child: refuse to start grandchildren.
		return fmt.Errorf("a render child may not start another (is helm.RunChildIfRequested missing from TestMain?)")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to start the render child: %w", err)
	}
	// The child outlives ctx's callers only until closed or killed.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), exe)
	cmd.Env = append(os.Environ(), ChildEnv+"="+strconv.FormatInt(s.budget.MaxMemory, 10))
	prepareChild(cmd)
	s.stderr = &limitedBuffer{max: 16 << 10}
	cmd.Stderr = s.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the render child: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.stdin, s.exited = cmd, stdin, exited
	s.out = &budgetReader{r: stdout}
	s.dec = json.NewDecoder(s.out)
	return nil
}

// died explains a child that stopped answering: its exit, once it exited.
func (s *Child) died(readErr error) error {
	select {
	case <-s.exited:
	case <-time.After(time.Second):
		s.kill()
	}
	state := s.cmd.ProcessState
	s.cmd = nil
	msg := s.stderr.String()
	if state != nil && (state.ExitCode() == childExitMemory || strings.Contains(msg, "out of memory") || strings.Contains(msg, "stack exceeds")) {
		return fmt.Errorf("%w: the render used more than %d MiB of memory (render memory budget)", errBudget, s.budget.MaxMemory>>20)
	}
	if state != nil && !state.Success() {
		return fmt.Errorf("the render child failed (%v): %s", state, lastLine(msg))
	}
	return fmt.Errorf("read the render child's answer: %v: %s", readErr, lastLine(msg))
}

// kill kills the child's process group and waits for it. s.mu is held.
func (s *Child) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Cancel()
	<-s.exited
	s.cmd = nil
}

// close ends an idle child: it reads the end of its input and exits.
func (s *Child) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.stdin.Close()
		s.cmd = nil
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "no message"
	}
	return s
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); room > 0 {
		l.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
