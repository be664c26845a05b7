package main

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestSBOMOfThisBinary writes the SBOM of the test binary itself, which Go
// built with module information like any other, and checks CycloneDX's
// required fields.
func TestSBOMOfThisBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out bytes.Buffer
	if err := write(&out, exe, "v9.9.9", ts); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc["bomFormat"] != "CycloneDX" || doc["specVersion"] != "1.5" {
		t.Errorf("bomFormat %v specVersion %v", doc["bomFormat"], doc["specVersion"])
	}
	var b bom
	if err := json.Unmarshal(out.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b.Metadata.Timestamp != "2026-01-02T03:04:05Z" {
		t.Errorf("timestamp %s", b.Metadata.Timestamp)
	}
	if b.Metadata.Component.Version != "v9.9.9" || !strings.HasPrefix(b.Metadata.Component.PURL, "pkg:golang/github.com/remedy-bot/remedy") {
		t.Errorf("main component %+v", b.Metadata.Component)
	}
	for _, c := range b.Components {
		if c.Type != "library" || c.Name == "" || c.Version == "" || c.PURL != "pkg:golang/"+c.Name+"@"+c.Version {
			t.Errorf("component %+v", c)
		}
	}
	if len(b.Dependencies) != 1 || len(b.Dependencies[0].DependsOn) != len(b.Components) {
		t.Errorf("dependencies %+v for %d components", b.Dependencies, len(b.Components))
	}
}

func TestSBOMOfNotABinary(t *testing.T) {
	var out bytes.Buffer
	err := write(&out, "main.go", "", time.Now())
	if err == nil || !strings.Contains(err.Error(), "main.go") {
		t.Errorf("error %v, want one naming main.go", err)
	}
}

func TestSBOMTime(t *testing.T) {
	if ts, err := sbomTime("", "1700000000"); err != nil || ts.Unix() != 1700000000 {
		t.Errorf("SOURCE_DATE_EPOCH: %v %v", ts, err)
	}
	if _, err := sbomTime("", "yesterday"); err == nil {
		t.Error("a bad SOURCE_DATE_EPOCH is accepted")
	}
	if ts, err := sbomTime("2026-01-02T03:04:05+01:00", "1"); err != nil || ts.Hour() != 2 {
		t.Errorf("flag: %v %v", ts, err)
	}
}

// TestSBOMComponents: every module becomes a component with its package
// URL, a replaced module is listed as its replacement, and the build
// settings that describe the binary are kept, -ldflags not.
func TestSBOMComponents(t *testing.T) {
	info := &buildinfo.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/remedy-bot/remedy", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/spf13/cobra", Version: "v1.10.2", Sum: "h1:abc="},
			{Path: "example.com/old", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/new", Version: "v1.1.0", Sum: "h1:def="}},
		},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "CGO_ENABLED", Value: "0"}, {Key: "-ldflags", Value: "-X main.secret=x"}},
	}
	b, err := fromBuildInfo(info, "remedy", "v1.2.3", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range b.Components {
		got = append(got, c.PURL)
	}
	want := []string{"pkg:golang/github.com/spf13/cobra@v1.10.2", "pkg:golang/example.com/new@v1.1.0"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("components %v, want %v", got, want)
	}
	if p := b.Components[1].Properties; len(p) != 2 || p[1].Value != "pkg:golang/example.com/old@v1.0.0" {
		t.Errorf("replacement properties %+v", p)
	}
	if b.Metadata.Component.PURL != "pkg:golang/github.com/remedy-bot/remedy@v1.2.3" {
		t.Errorf("main %s", b.Metadata.Component.PURL)
	}
	props := fmt.Sprint(b.Metadata.Component.Properties)
	if !strings.Contains(props, "go:build:GOOS linux") || !strings.Contains(props, "CGO_ENABLED 0") || strings.Contains(props, "ldflags") {
		t.Errorf("build properties %s", props)
	}
	if _, err := fromBuildInfo(&buildinfo.BuildInfo{}, "x", "", time.Now()); err == nil {
		t.Error("a binary without module information gives an SBOM")
	}
}
