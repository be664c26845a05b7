package sourcemap

import (
	"net/url"
	"strings"
)

// repoURL is a git URL taken apart: how git would reach it, and what it
// names.
type repoURL struct {
	// ssh is true for ssh://, git+ssh:// and scp-like (git@host:path) URLs.
	ssh bool
	// scheme is "http" or "https" for those URLs, "" for SSH.
	scheme string
	// host is the host, with the port of an http(s) URL; an SSH URL's
	// port is the SSH server's, meaningless over HTTPS, and left out.
	host string
	// path is the repository's path on the host, with its leading slash,
	// as written (a .git suffix kept).
	path string
}

// parseRepoURL reads the URL forms git and the GitOps tools accept for a
// remote repository: https://host/path, http://host/path,
// ssh://[user@]host[:port]/path, and git's scp-like [user@]host:path (no
// scheme, no slash before the first colon). Anything else (a local path,
// file://, git://) is not understood.
func parseRepoURL(s string) (repoURL, bool) {
	s = strings.TrimSpace(s)
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.Hostname() == "" {
			return repoURL{}, false
		}
		switch strings.ToLower(scheme) {
		case "https", "http":
			return repoURL{scheme: strings.ToLower(scheme), host: strings.ToLower(u.Host), path: u.Path}, true
		case "ssh", "git+ssh", "ssh+git":
			return repoURL{ssh: true, host: strings.ToLower(u.Hostname()), path: u.Path}, true
		}
		return repoURL{}, false
	}
	// scp-like: git treats a colon before any slash as host:path.
	colon := strings.Index(s, ":")
	if colon <= 0 || strings.Contains(s[:colon], "/") {
		return repoURL{}, false
	}
	host, p := s[:colon], s[colon+1:]
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = host[at+1:]
	}
	host = strings.Trim(host, "[]") // [::1]:path
	if host == "" || p == "" || strings.HasPrefix(p, "~") {
		return repoURL{}, false
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return repoURL{ssh: true, host: strings.ToLower(host), path: p}, true
}

// RepoHost is the host of a git or API URL, lower-cased, without a user:
// with its port for an http(s) URL, without the SSH port for ssh:// and
// scp-like URLs (git@github.com:acme/shop.git is github.com, the host
// remedy clones it from over HTTPS); "" when it has none.
func RepoHost(repoURL string) string {
	if u, ok := parseRepoURL(repoURL); ok {
		return u.host
	}
	u, err := url.Parse(repoURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// HTTPSURL is the repository's web and clone URL for any form of its git
// URL: https://host/owner/name for https://, ssh:// and scp-like URLs
// (git@github.com:acme/shop.git, ssh://git@github.com:22/acme/shop), an
// http:// URL kept http (a forge without TLS), always without user, SSH
// port, trailing slash or .git suffix, the host lower-cased. The last two
// steps of its path are a GitHub repository's owner and name. ok is false
// for a URL that names no remote repository (a local path, file://, a
// URL without a path).
func HTTPSURL(repoURL string) (string, bool) {
	u, ok := parseRepoURL(repoURL)
	if !ok {
		return "", false
	}
	p := strings.TrimSuffix(strings.TrimRight(u.path, "/"), ".git")
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", false
	}
	scheme := u.scheme
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + u.host + p, true
}

// cloneURL is the URL remedy clones repoURL from: the same for http(s),
// https://host/path for an SSH URL (remedy holds no SSH key; it reads
// public repositories, and the forge's with its token, over HTTPS). The
// path is kept as written, .git and all: some servers want it.
func cloneURL(repoURL string) string {
	u, ok := parseRepoURL(repoURL)
	if !ok || !u.ssh {
		return repoURL
	}
	return "https://" + u.host + u.path
}
