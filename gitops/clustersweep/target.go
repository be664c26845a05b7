package clustersweep

import (
	"net/url"
	"slices"
	"strings"

	"github.com/remedy-bot/remedy/gitops/sourcemap"
)

// Target is the live objects of one cluster deployed from one repository
// and revision: what one fix pull request covers. It is plain data, so a
// job queue can carry it.
type Target struct {
	Cluster string `json:"cluster"`
	// RepoURL is the repository as the GitOps object names it; Owner and
	// Name are its place on the forge, empty when it is elsewhere.
	RepoURL string `json:"repoURL"`
	Owner   string `json:"owner,omitempty"`
	Name    string `json:"name,omitempty"`
	// Revision is the branch (or tag, commit) the tool follows; empty
	// means the default branch.
	Revision string   `json:"revision,omitempty"`
	Paths    []Source `json:"paths"`
}

// FullName is owner/name on the forge, or the repository URL elsewhere.
func (t Target) FullName() string {
	if t.Owner == "" {
		return t.RepoURL
	}
	return t.Owner + "/" + t.Name
}

// Source is one source path of a Target, loaded the way its tool deploys
// it, and the live objects it renders.
type Source struct {
	Origin  sourcemap.Origin `json:"origin"`
	Objects []Object         `json:"objects"`
}

// Object names a live object.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String is how a pull request body names the object: "Deployment shop/web".
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Targets groups the placed objects of l by source repository and
// revision, in the order the cluster listed them. Objects without a
// source are left out: they are fixed in the cluster by hand.
func (l *Live) Targets(forgeHost string) []Target {
	if l.Mapping == nil {
		return nil
	}
	var out []Target
	index := map[[2]string]int{}
	for _, obj := range l.Snapshot.Objects {
		p := l.Mapping.Objects[obj.File]
		if p == nil || p.Resource == nil || p.Tree == nil {
			continue
		}
		key := [2]string{p.Source.Repo, p.Source.Revision}
		i, ok := index[key]
		if !ok {
			t := Target{Cluster: l.Cluster.Name, RepoURL: p.Source.Repo, Revision: p.Source.Revision}
			t.Owner, t.Name, _ = ForgeRepo(p.Source.Repo, forgeHost)
			i = len(out)
			index[key] = i
			out = append(out, t)
		}
		t := &out[i]
		j := slices.IndexFunc(t.Paths, func(s Source) bool { return s.Origin.Path == p.Tree.Origin.Path })
		if j < 0 {
			origin := p.Tree.Origin
			origin.Sources = nil // the source the object was found in
			t.Paths = append(t.Paths, Source{Origin: origin})
			j = len(t.Paths) - 1
		}
		t.Paths[j].Objects = append(t.Paths[j].Objects, Object{APIVersion: obj.APIVersion, Kind: obj.Kind, Namespace: obj.Namespace, Name: obj.Name})
	}
	return out
}

// ForgeRepo reads owner and name out of a git URL on the forge's host:
// the last two steps of its path, in any form the GitOps tools accept
// (https://github.com/acme/shop.git, git@github.com:acme/shop.git,
// ssh://git@github.com/acme/shop, a GitHub Enterprise Server host's).
func ForgeRepo(repoURL, host string) (owner, name string, ok bool) {
	if host == "" || sourcemap.RepoHost(repoURL) != strings.ToLower(host) {
		return "", "", false
	}
	web, ok := sourcemap.HTTPSURL(repoURL)
	if !ok {
		return "", "", false
	}
	u, err := url.Parse(web)
	if err != nil {
		return "", "", false
	}
	steps := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(steps) < 2 || steps[len(steps)-2] == "" || steps[len(steps)-1] == "" {
		return "", "", false
	}
	return steps[len(steps)-2], steps[len(steps)-1], true
}

// BranchPrefix is the prefix of a cluster's fix branches: remedy/live/<cluster>/,
// and remedy/live/<cluster>/<base>/ for a base other than the default branch.
func BranchPrefix(clusterName, base, defaultBranch string) string {
	p := "remedy/live/" + branchSafe(clusterName) + "/"
	if base != "" && base != defaultBranch {
		p += base + "/"
	}
	return p
}

// branchSafe turns a cluster name (a kubeconfig context such as
// "arn:aws:eks:eu-west-1:1234:cluster/prod") into one branch name step.
func branchSafe(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_'
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		return "cluster"
	}
	return s
}
