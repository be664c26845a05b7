package remediate

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/scanner"
)

// ImageCheck says what a fix whose safety depends on the container's image
// (the controls of risk level "image") was checked against.
type ImageCheck struct {
	// Image is the container's reference; Digest what the registry
	// resolved it to ("" when it was not read).
	Image, Digest string
	// Verified is true when the image data shows the fix cannot stop a
	// working container from running: such a fix needs no human check.
	Verified bool
	// Detail says what was checked and what was not, for the PR body.
	Detail string
}

// Risk returns the risk group of a fix: scanner.RiskNone when it cannot
// change what a working container does (its control's level is none, or
// it is image-dependent and verified), else scanner.RiskReview.
func (o Outcome) Risk() scanner.RiskLevel {
	switch scanner.RiskOf(o.Finding.Control).Level {
	case scanner.RiskNone:
		return scanner.RiskNone
	case scanner.RiskImage:
		if o.Image != nil && o.Image.Verified {
			return scanner.RiskNone
		}
	}
	return scanner.RiskReview
}

// checked records the image check of a finding's fix on its builder, for
// the outcome (see imageCheckOf).
func (b *patchBuilder) checked(f scanner.Finding, c ImageCheck) {
	if b.checks == nil {
		b.checks = map[string]ImageCheck{}
	}
	b.checks[f.Fingerprint()] = c
}

// imageCheckOf is the check a fixer recorded for f, or nil.
func imageCheckOf(builders map[*scanner.Resource]*patchBuilder, f scanner.Finding) *ImageCheck {
	b := builders[f.Resource]
	if b == nil {
		return nil
	}
	if c, ok := b.checks[f.Fingerprint()]; ok {
		return &c
	}
	return nil
}

// fixedOutcome is the outcome of an applied fix, with its image check.
func fixedOutcome(builders map[*scanner.Resource]*patchBuilder, f scanner.Finding) Outcome {
	return Outcome{Finding: f, Status: StatusFixed, Image: imageCheckOf(builders, f)}
}

// imageOf returns the image data of the finding's container. Without
// --resolve-images, or when the lookup failed, ok is false and check is
// the unverified check to record, naming why.
func imageOf(f scanner.Finding, opts Options) (info imageinfo.Info, check ImageCheck, ok bool) {
	ref := scanner.ImageOfFinding(f)
	check = ImageCheck{Image: ref}
	if opts.Images == nil {
		check.Detail = "not checked against the image: " + scanner.NeedsResolve
		return info, check, false
	}
	info, found := opts.Images.Lookup(ref)
	switch {
	case !found:
		check.Detail = "not checked against the image: it was not looked up"
		return info, check, false
	case !info.OK():
		check.Detail = "not checked against the image: " + info.Note
		return info, check, false
	}
	check.Digest = info.Digest
	return info, check, true
}

// fixImageTag pins the image to the digest the registry serves for it, as
// Renovate pins: `name:tag@sha256:…` keeps the tag for readers,
// `name@sha256:…` for an untagged image. For a multi-platform image the
// digest is the index's, so every node still pulls its own platform.
func fixImageTag(b *patchBuilder, f scanner.Finding, ps *podTemplate, opts Options) error {
	info, check, ok := imageOf(f, opts)
	if !ok {
		return refuse("%s", strings.TrimPrefix(check.Detail, "not checked against the image: "))
	}
	return withContainer(f, ps, func(c scanner.Path) error {
		ref := scanner.ParseImage(check.Image)
		if ref.Digest != "" {
			return nil
		}
		pinned := ref.Name
		if ref.Tag != "" {
			pinned += ":" + ref.Tag
		}
		pinned += "@" + info.Digest
		check.Detail = fmt.Sprintf("pinned to %s, the digest the registry serves for %s now", info.Digest, check.Image)
		if info.Platform != "" {
			check.Detail += " (the multi-platform index)"
		}
		if info.Running {
			// The live pod reports this digest: the pin names what runs.
			check.Verified = true
			check.Detail += "; the running pod runs this digest"
		} else {
			check.Detail += "; not checked: that the running pods run this digest"
		}
		b.checked(f, check)
		return b.set(c.Key("image"), pinned)
	})
}

// fixRunAsNonRootImage sets runAsNonRoot only where the kubelet will start
// the container (verifyRunAsNonRoot in kuberuntime): the effective
// runAsUser is non-zero, or the image's user is a non-zero numeric uid. For
// a named user the image's /etc/passwd maps to a non-zero uid, runAsUser is
// added too, since the kubelet refuses a non-numeric user it cannot check.
// The fields go on the container, so a sibling running as root is not
// affected. Without --resolve-images the fix is today's (pod-level),
// marked unverified.
func fixRunAsNonRootImage(b *patchBuilder, f scanner.Finding, ps *podTemplate, opts Options) error {
	return withContainer(f, ps, func(c scanner.Path) error {
		sc := c.Key("securityContext")
		if opts.Images == nil {
			// Offline: today's fix; only the note says what it relies on.
			_, check, _ := imageOf(f, opts)
			if uid, set := effectiveRunAsUser(b, ps, c); set && uid != 0 {
				check.Verified = true
				check.Detail = fmt.Sprintf("runs as runAsUser %d, which the kubelet accepts whatever the image's user", uid)
			}
			b.checked(f, check)
			return fixRunAsNonRootPod(b, f, ps)
		}
		if uid, set := effectiveRunAsUser(b, ps, c); set {
			if uid == 0 {
				return refuse("the container runs as runAsUser 0; runAsNonRoot: true would stop the pod from starting")
			}
			b.checked(f, ImageCheck{Image: scanner.ImageOfFinding(f), Verified: true,
				Detail: fmt.Sprintf("runs as runAsUser %d, which the kubelet accepts whatever the image's user", uid)})
			return b.set(sc.Key("runAsNonRoot"), true)
		}
		info, check, ok := imageOf(f, opts)
		if !ok {
			// The image could not be read: the fix is today's, unverified,
			// but on the container, so that a sibling whose image runs
			// as root is not refused by the kubelet because of it.
			b.checked(f, check)
			return b.set(sc.Key("runAsNonRoot"), true)
		}
		uid, known := info.UID()
		switch {
		case !known:
			return refuse("the image runs as user %q, which its /etc/passwd does not name; the kubelet cannot verify a non-numeric user: set runAsUser", info.UserName())
		case uid == 0:
			return refuse("the image runs as root: use a non-root image or set runAsUser")
		case info.NumericUser():
			check.Verified = true
			check.Detail = fmt.Sprintf("the image runs as uid %d", uid)
		default:
			check.Verified = true
			check.Detail = fmt.Sprintf("the image's user %s is uid %d in its /etc/passwd; runAsUser: %d added so the kubelet can verify it", info.UserName(), uid, uid)
			if err := b.set(sc.Key("runAsUser"), uid); err != nil {
				return err
			}
		}
		b.checked(f, check)
		return b.set(sc.Key("runAsNonRoot"), true)
	})
}

// effectiveRunAsUser is the container's runAsUser, else the pod's, as
// patched so far.
func effectiveRunAsUser(b *patchBuilder, ps *podTemplate, c scanner.Path) (int64, bool) {
	for _, owner := range []scanner.Path{c, ps.Path} {
		v, ok := b.get(owner.Key("securityContext").Key("runAsUser"))
		if !ok || v == nil {
			continue
		}
		switch n := v.(type) {
		case float64:
			return int64(n), true
		case string:
			if i, err := strconv.ParseInt(n, 10, 64); err == nil {
				return i, true
			}
		}
	}
	return 0, false
}

// fixReadOnlyRootFilesystemImage sets readOnlyRootFilesystem and, with
// image data, mounts an emptyDir at /tmp and at each VOLUME of the image
// that no mount covers yet, so the writes the image declares keep working.
// It refuses when a new mount would shadow part of what a read-only mount
// (a ConfigMap, a Secret, readOnly: true) already puts there.
func fixReadOnlyRootFilesystemImage(b *patchBuilder, f scanner.Finding, ps *podTemplate, opts Options) error {
	return withContainer(f, ps, func(c scanner.Path) error {
		info, check, ok := imageOf(f, opts)
		if !ok {
			b.checked(f, check)
			return b.set(c.Key("securityContext").Key("readOnlyRootFilesystem"), true)
		}
		name, _ := b.get(c.Key("name"))
		cname, _ := name.(string)
		mounts := containerMounts(b, ps, c)
		want := append(slices.Clone(info.Volumes), "/tmp")
		var added, covered []string
		for _, p := range want {
			p = path.Clean(p)
			if slices.Contains(added, p) {
				continue
			}
			m, found := coveringMount(mounts, p)
			if found {
				// A mount at the path itself is the workload's choice; one
				// above it that is read-only would be shadowed in part.
				if !m.writable && m.path != p {
					return refuse("an emptyDir at %s would shadow what volume %q mounts read-only at %s", p, m.volume, m.path)
				}
				covered = append(covered, p)
				continue
			}
			vol := freeVolumeName(b, ps, cname, p)
			if err := b.appendTo(ps.Path.Key("volumes"), map[string]any{"name": vol, "emptyDir": map[string]any{}}); err != nil {
				return err
			}
			if err := b.appendTo(c.Key("volumeMounts"), map[string]any{"name": vol, "mountPath": p}); err != nil {
				return err
			}
			mounts = append(mounts, mount{path: p, volume: vol, writable: true})
			added = append(added, p)
		}
		var d strings.Builder
		if len(info.Volumes) > 0 {
			fmt.Fprintf(&d, "the image declares VOLUME %s; ", strings.Join(info.Volumes, ", "))
		} else {
			d.WriteString("the image declares no VOLUME; ")
		}
		if len(added) > 0 {
			fmt.Fprintf(&d, "emptyDir mounted at %s (empty at start); ", strings.Join(added, ", "))
		}
		if len(covered) > 0 {
			fmt.Fprintf(&d, "already mounted: %s; ", strings.Join(covered, ", "))
		}
		d.WriteString("not checked: writes the image does not declare")
		check.Detail = d.String()
		b.checked(f, check)
		return b.set(c.Key("securityContext").Key("readOnlyRootFilesystem"), true)
	})
}

// mount is one volumeMount of a container.
type mount struct {
	path, volume string
	writable     bool
}

// readOnlyVolumeKinds are volume sources the kubelet always mounts read-only.
var readOnlyVolumeKinds = []string{"configMap", "secret", "projected", "downwardAPI"}

func containerMounts(b *patchBuilder, ps *podTemplate, c scanner.Path) []mount {
	kinds := map[string]string{}
	vs, _ := b.get(ps.Path.Key("volumes"))
	seq, _ := vs.([]any)
	for _, v := range seq {
		m, _ := v.(map[string]any)
		n, _ := m["name"].(string)
		for k := range m {
			if k != "name" {
				kinds[n] = k
			}
		}
	}
	var out []mount
	ms, _ := b.get(c.Key("volumeMounts"))
	list, _ := ms.([]any)
	for _, v := range list {
		m, _ := v.(map[string]any)
		p, _ := m["mountPath"].(string)
		n, _ := m["name"].(string)
		if p == "" {
			continue
		}
		ro, _ := m["readOnly"].(bool)
		_, sub := m["subPath"]
		writable := !ro && !slices.Contains(readOnlyVolumeKinds, kinds[n]) && !sub
		out = append(out, mount{path: path.Clean(p), volume: n, writable: writable})
	}
	return out
}

// coveringMount is the mount at p or nearest above it.
func coveringMount(ms []mount, p string) (mount, bool) {
	var best mount
	found := false
	for _, m := range ms {
		if (m.path == p || m.path == "/" || strings.HasPrefix(p, m.path+"/")) && len(m.path) >= len(best.path) {
			best, found = m, true
		}
	}
	return best, found
}

var nonLabel = regexp.MustCompile(`[^a-z0-9]+`)

// freeVolumeName names the emptyDir of container c at p ("web-tmp",
// "web-var-cache-nginx"): a DNS label not used by the pod yet.
func freeVolumeName(b *patchBuilder, ps *podTemplate, c, p string) string {
	base := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(c+"-"+p), "-"), "-")
	if len(base) > 55 {
		base = strings.Trim(base[:55], "-")
	}
	used := map[string]bool{}
	vs, _ := b.get(ps.Path.Key("volumes"))
	seq, _ := vs.([]any)
	for _, v := range seq {
		m, _ := v.(map[string]any)
		if n, ok := m["name"].(string); ok {
			used[n] = true
		}
	}
	name := base
	for i := 2; used[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}

// fixDropAllCapabilitiesImage drops ALL and, with image data, keeps
// NET_BIND_SERVICE in add when the container listens on a port below 1024
// (the image EXPOSEs one or the manifest declares one): the restricted
// profile allows it, and without it the process cannot bind the port. It
// is verified when the container does not run as root: a non-root process
// holds no other capability the drop could take away.
func fixDropAllCapabilitiesImage(b *patchBuilder, f scanner.Finding, ps *podTemplate, opts Options) error {
	return withContainer(f, ps, func(c scanner.Path) error {
		caps := c.Key("securityContext").Key("capabilities")
		if err := b.appendTo(caps.Key("drop"), "ALL"); err != nil {
			return err
		}
		info, check, ok := imageOf(f, opts)
		if !ok {
			b.checked(f, check)
			return nil
		}
		low := lowPorts(b, c, info)
		uid, known := info.UID()
		if u, set := effectiveRunAsUser(b, ps, c); set {
			uid, known = u, true
		}
		var d strings.Builder
		if len(low) > 0 {
			if err := b.appendTo(caps.Key("add"), "NET_BIND_SERVICE"); err != nil {
				return err
			}
			fmt.Fprintf(&d, "listens on port %s below 1024: NET_BIND_SERVICE kept; ", joinInts(low))
		}
		switch {
		case known && uid != 0:
			check.Verified = true
			fmt.Fprintf(&d, "runs as uid %d, which holds no other capability", uid)
		case known:
			d.WriteString("runs as root: processes that chown, switch user or use other capabilities at start fail")
		default:
			fmt.Fprintf(&d, "runs as user %q, whose uid the image does not give", info.UserName())
		}
		check.Detail = d.String()
		b.checked(f, check)
		return nil
	})
}

// lowPorts are the ports below 1024 the image exposes or the container
// declares, sorted.
func lowPorts(b *patchBuilder, c scanner.Path, info imageinfo.Info) []int {
	ports := info.LowPorts()
	v, _ := b.get(c.Key("ports"))
	list, _ := v.([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		if n, ok := m["containerPort"].(float64); ok && n > 0 && n < 1024 {
			ports = append(ports, int(n))
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
