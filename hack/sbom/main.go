// Command sbom writes a CycloneDX 1.5 software bill of materials (JSON)
// for a Go binary, from the module information the Go toolchain embeds in
// it (what `go version -m` prints). It reads nothing else and needs no
// network, so a release build can run it on each binary it produces:
//
//	go run ./hack/sbom -version v1.2.3 dist/remedy_v1.2.3_linux_amd64 > remedy.cdx.json
package main

import (
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	version := flag.String("version", "", "the release's version (default: the binary's module version)")
	timestamp := flag.String("timestamp", "", "the SBOM's timestamp, RFC 3339 (default: SOURCE_DATE_EPOCH, else now)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: sbom [-version V] [-timestamp T] BINARY")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ts, err := sbomTime(*timestamp, os.Getenv("SOURCE_DATE_EPOCH"))
	if err == nil {
		err = write(os.Stdout, flag.Arg(0), *version, ts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbom:", err)
		os.Exit(1)
	}
}

// sbomTime is the timestamp: the flag, else SOURCE_DATE_EPOCH (so that
// reproducible builds give the same SBOM), else now.
func sbomTime(flagValue, epoch string) (time.Time, error) {
	switch {
	case flagValue != "":
		t, err := time.Parse(time.RFC3339, flagValue)
		if err != nil {
			return time.Time{}, fmt.Errorf("-timestamp %q: %w", flagValue, err)
		}
		return t.UTC(), nil
	case epoch != "":
		var s int64
		if _, err := fmt.Sscan(epoch, &s); err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds", epoch)
		}
		return time.Unix(s, 0).UTC(), nil
	}
	return time.Now().UTC().Truncate(time.Second), nil
}

func write(w io.Writer, binary, version string, ts time.Time) error {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("%s: %w", binary, err)
	}
	bom, err := fromBuildInfo(info, filepath.Base(binary), version, ts)
	if err != nil {
		return fmt.Errorf("%s: %w", binary, err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(bom)
}

// bom is the part of CycloneDX 1.5 this generator writes.
type bom struct {
	BOMFormat    string       `json:"bomFormat"`
	SpecVersion  string       `json:"specVersion"`
	Version      int          `json:"version"`
	Metadata     metadata     `json:"metadata"`
	Components   []component  `json:"components"`
	Dependencies []dependency `json:"dependencies"`
}

type metadata struct {
	Timestamp  string     `json:"timestamp"`
	Tools      tools      `json:"tools"`
	Component  component  `json:"component"`
	Properties []property `json:"properties,omitempty"`
}

type tools struct {
	Components []component `json:"components"`
}

type component struct {
	Type       string     `json:"type"`
	BOMRef     string     `json:"bom-ref,omitempty"`
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	PURL       string     `json:"purl,omitempty"`
	Properties []property `json:"properties,omitempty"`
}

type property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// purl is the package URL of a Go module (purl-spec, type golang).
func purl(path, version string) string {
	p := "pkg:golang/" + path
	if version != "" {
		p += "@" + version
	}
	return p
}

func fromBuildInfo(info *buildinfo.BuildInfo, name, version string, ts time.Time) (*bom, error) {
	if info.Main.Path == "" {
		return nil, errors.New("no main module recorded (built with -buildvcs=false and no module?)")
	}
	if version == "" {
		version = info.Main.Version
	}
	main := component{Type: "application", Name: info.Main.Path, Version: version, PURL: purl(info.Main.Path, version)}
	main.BOMRef = main.PURL
	for _, s := range info.Settings {
		// The build's flags and platform; -ldflags is left out, it may
		// carry anything a builder passed.
		switch s.Key {
		case "GOOS", "GOARCH", "CGO_ENABLED", "-trimpath", "vcs.revision", "vcs.time", "vcs.modified":
			main.Properties = append(main.Properties, property{"go:build:" + s.Key, s.Value})
		}
	}
	b := &bom{
		BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		Metadata: metadata{
			Timestamp: ts.Format(time.RFC3339),
			Tools:     tools{Components: []component{{Type: "application", Name: "remedy hack/sbom"}}},
			Component: main,
			Properties: []property{
				{"go:toolchain", info.GoVersion},
				{"file", name},
			},
		},
		Components: []component{},
	}
	root := dependency{Ref: main.BOMRef, DependsOn: []string{}}
	for _, d := range info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := component{Type: "library", Name: m.Path, Version: m.Version, PURL: purl(m.Path, m.Version)}
		c.BOMRef = c.PURL
		if m.Sum != "" {
			// Go's h1: hash (a SHA-256 over the module's file list), which
			// go.sum and the checksum database record; not a plain file
			// hash, so a property rather than a CycloneDX hash.
			c.Properties = append(c.Properties, property{"go:module:sum", m.Sum})
		}
		if d.Replace != nil {
			c.Properties = append(c.Properties, property{"go:module:replaces", purl(d.Path, d.Version)})
		}
		if strings.HasPrefix(m.Path, ".") || strings.HasPrefix(m.Path, "/") {
			c.PURL = "" // a local replacement has no package URL
		}
		b.Components = append(b.Components, c)
		root.DependsOn = append(root.DependsOn, c.BOMRef)
	}
	b.Dependencies = []dependency{root}
	return b, nil
}
