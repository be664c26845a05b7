// Package imageinfo reads container images from their registries: the digest
// a reference resolves to and the parts of the image's config that decide
// whether a security fix keeps the container running (its user, the uid of
// a named user in the image's /etc/passwd, exposed ports, declared volumes,
// working directory).
//
// Reading images is opt-in (--resolve-images): scanning stays offline by
// default. A lookup that fails (unreachable registry, 401, missing image,
// timeout) is never an error of the run: its Info carries a Note saying
// why, and the fixes that depend on the image fall back to what they do
// without image data, marked unverified.
package imageinfo

import (
	"strconv"
	"strings"
)

// Info is what a registry says about one image reference.
type Info struct {
	// Ref is the reference as written in the manifest.
	Ref string `json:"ref"`
	// Digest is what Ref resolves to ("sha256:…"): the index digest for a
	// multi-platform image, which is what a pin must name so that every
	// node pulls its own platform.
	Digest string `json:"digest,omitempty"`
	// Running is true when Digest is what a live pod reports it runs
	// (its status imageID), not only what the tag serves now.
	Running bool `json:"running,omitempty"`
	// Platform is the platform whose config the fields below come from
	// ("linux/amd64"), for a multi-platform image.
	Platform string `json:"platform,omitempty"`
	Config
	// Note says why the image could not be read; Digest and Config are
	// then empty.
	Note string `json:"note,omitempty"`
}

// Config is the part of an image config that fixes depend on. It is a
// function of the image's digest, so it is what the disk cache stores.
type Config struct {
	// User is the config's User as written: "", "1000", "1000:1000",
	// "nginx" or "nginx:nginx".
	User string `json:"user,omitempty"`
	// PasswdUID is the uid /etc/passwd in the image's layers gives a named
	// User; nil when User is numeric or empty, or the name is not there.
	PasswdUID *int64 `json:"passwdUID,omitempty"`
	// ExposedPorts are the EXPOSE'd ports ("80/tcp").
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	// Volumes are the paths declared with VOLUME, sorted.
	Volumes    []string `json:"volumes,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
}

// OK reports whether the image was read.
func (i Info) OK() bool { return i.Note == "" && i.Digest != "" }

// UID is the uid the image's process runs as, as the kubelet sees it: the
// numeric part of User before any ":group", 0 for an empty User (a
// container runtime runs it as root), or the PasswdUID of a named user.
// known is false for a named user the image's /etc/passwd does not give,
// which the kubelet cannot verify ("image has non-numeric user").
func (i Info) UID() (uid int64, known bool) {
	user, _, _ := strings.Cut(i.User, ":")
	if user == "" {
		return 0, true
	}
	if n, err := strconv.ParseInt(user, 10, 64); err == nil {
		return n, true
	}
	if i.PasswdUID != nil {
		return *i.PasswdUID, true
	}
	return 0, false
}

// NumericUser reports whether the kubelet can read the uid from User alone
// (an empty User counts: it means root).
func (i Info) NumericUser() bool {
	user, _, _ := strings.Cut(i.User, ":")
	if user == "" {
		return true
	}
	_, err := strconv.ParseInt(user, 10, 64)
	return err == nil
}

// UserName is the named user of User ("nginx" of "nginx:nginx"), or "".
func (i Info) UserName() string {
	if i.NumericUser() {
		return ""
	}
	user, _, _ := strings.Cut(i.User, ":")
	return user
}

// LowPorts are the exposed ports below 1024, which a process can bind only
// as root or with NET_BIND_SERVICE.
func (i Info) LowPorts() []int {
	var out []int
	for _, p := range i.ExposedPorts {
		num, _, _ := strings.Cut(p, "/")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && n < 1024 {
			out = append(out, n)
		}
	}
	return out
}

// Set holds the results of one resolution, by reference as written. A nil
// Set means images were not resolved.
type Set struct {
	byRef map[string]Info
}

// NewSet makes a Set of infos (for tests and callers with their own data).
func NewSet(infos ...Info) *Set {
	s := &Set{byRef: make(map[string]Info, len(infos))}
	for _, i := range infos {
		s.byRef[i.Ref] = i
	}
	return s
}

// Lookup returns the info of a reference as written. ok is false when the
// reference was not looked up (or s is nil); an Info with a Note is ok.
func (s *Set) Lookup(ref string) (Info, bool) {
	if s == nil {
		return Info{}, false
	}
	i, ok := s.byRef[ref]
	return i, ok
}

// Len is the number of references looked up.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byRef)
}

// Notes are the notes of the lookups that failed, by reference, sorted.
func (s *Set) Notes() []Info {
	if s == nil {
		return nil
	}
	var out []Info
	for _, i := range s.byRef {
		if i.Note != "" {
			out = append(out, i)
		}
	}
	sortInfos(out)
	return out
}
