package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// profileKinds are what --profile records, as kubectl's flag of the same
// name: a CPU profile, the heap in use or every allocation at exit (pprof
// format, read with `go tool pprof`), or an execution trace (`go tool
// trace`), which shows how busy each core was and what a goroutine waited
// on. They cover this process: Helm's render children are processes of
// their own (scanner/helm).
var profileKinds = []string{"none", "cpu", "heap", "allocs", "trace"}

// recorders are the profiles recorded while the run goes on, rather than
// read at its end.
var recorders = map[string]struct {
	start func(io.Writer) error
	stop  func()
}{
	"cpu":   {pprof.StartCPUProfile, pprof.StopCPUProfile},
	"trace": {trace.Start, trace.Stop},
}

// profiling is --profile and --profile-output of one invocation, and the
// profile being recorded.
type profiling struct {
	kind   string
	output string
	// stop ends the recording and writes the file; nil when nothing
	// records.
	stop func() error
}

func (p *profiling) register(f *pflag.FlagSet) {
	f.StringVar(&p.kind, "profile", "none", "record a profile of this run: "+strings.Join(profileKinds, ", ")+" (for go tool pprof; trace for go tool trace)")
	f.StringVar(&p.output, "profile-output", "profile.pprof", "file the --profile is written to")
}

// start begins recording. An unknown kind is an error, never a run without
// the profile that was asked for.
func (p *profiling) start() error {
	if !slices.Contains(profileKinds, p.kind) {
		return fmt.Errorf("--profile %q: want one of %s", p.kind, strings.Join(profileKinds, ", "))
	}
	if p.kind == "none" {
		return nil
	}
	// Created first: a path that cannot be written fails the run before it
	// does its work, not after.
	f, err := os.Create(p.output)
	if err != nil {
		return fmt.Errorf("--profile-output: %w", err)
	}
	closing := func(err error) error { return errors.Join(err, f.Close()) }
	if rec, ok := recorders[p.kind]; ok {
		if err := rec.start(f); err != nil {
			return closing(fmt.Errorf("--profile %s: %w", p.kind, err))
		}
		p.stop = func() error {
			rec.stop()
			return closing(nil)
		}
		return nil
	}
	// heap, allocs: what the run holds, or allocated, at its end.
	p.stop = func() error {
		if p.kind == "heap" {
			// The heap profile is as of the last collection.
			runtime.GC()
		}
		return closing(pprof.Lookup(p.kind).WriteTo(f, 0))
	}
	return nil
}

// finish ends the recording, if one runs, and writes its file.
func (p *profiling) finish() error {
	if p.stop == nil {
		return nil
	}
	stop := p.stop
	p.stop = nil
	if err := stop(); err != nil {
		return fmt.Errorf("writing the %s profile to %s: %w", p.kind, p.output, err)
	}
	return nil
}
