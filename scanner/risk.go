package scanner

import (
	"slices"

	"github.com/remedy-bot/remedy/imageinfo"
)

// RiskLevel says whether a control's fix can change what a working
// container does.
type RiskLevel string

// Risk levels, from safest.
const (
	// RiskNone: the fix cannot change what a working container does.
	RiskNone RiskLevel = "none"
	// RiskImage: the fix is safe when checked against the image the
	// container runs (--resolve-images); unchecked, a human must look.
	RiskImage RiskLevel = "image"
	// RiskReview: the fix can change run-time behaviour; a human checks.
	RiskReview RiskLevel = "review"
)

// Risk is what a fix of a control can break at run time and how a reviewer
// checks it. It is shown by `remedy controls -o json` and in fix PRs.
type Risk struct {
	Level RiskLevel `json:"level"`
	// Breaks is what can stop working once the fix is deployed.
	Breaks string `json:"breaks"`
	// Check is how a reviewer makes sure it does not.
	Check string `json:"check"`
}

// risks are the documented risks of the fixable controls, by ID. A
// fixable control without an entry gets RiskReview with no text, which
// TestFixableControlsHaveRisks forbids.
var risks = map[string]Risk{
	"image-pull-policy": {RiskNone,
		"Nodes pull the image on every start; if the registry is down or the pull secret expired, new pods do not start (running ones keep running).",
		"Check the registry is reachable from every node and the pull secret is current."},
	"image-tag": {RiskImage,
		"The pin names the digest the registry serves for the tag today; a node that cached an older image under the tag runs the new one after the rollout, and the image no longer follows the tag.",
		"Compare the digest with the one the running pods report (kubectl get pod -o jsonpath='{..imageID}'); let Renovate or Dependabot move the pin."},
	"read-only-root-filesystem": {RiskImage,
		"Every write outside a mounted volume fails: caches, pid files, temp files, package installs at start.",
		"Run the container and watch for 'Read-only file system' errors; mount an emptyDir for each path it writes."},
	"no-privilege-escalation": {RiskReview,
		"setuid and setgid binaries (sudo, su, ping on some images) stop gaining privileges.",
		"Check the entrypoint does not call sudo or su and no process needs file capabilities."},
	"run-as-non-root": {RiskImage,
		"The kubelet refuses to start a container whose image runs as root or as a user name it cannot map to a uid (CreateContainerConfigError).",
		"Check the image's USER is a non-zero numeric uid (docker inspect), or set runAsUser to one the image can run as."},
	"privileged": {RiskReview,
		"The container loses access to host devices and kernel settings it may use (device plugins, CNI, storage drivers).",
		"Check the workload is not a node agent that needs host devices."},
	"drop-all-capabilities": {RiskImage,
		"A process running as root loses CHOWN, SETUID, NET_BIND_SERVICE and the rest: binding a port below 1024 or switching users at start fails.",
		"Check the image runs as a non-root user; add back in capabilities.add only what the process needs."},
	"dangerous-capabilities": {RiskReview,
		"A process that uses the removed capability (raw sockets, mounts, tracing) fails.",
		"Check what the capability was added for before merging."},
	"restricted-capabilities": {RiskReview,
		"A process that uses a removed capability (e.g. CHOWN, SETUID, SYS_PTRACE) fails at the call that needs it.",
		"Check what each removed capability was added for; the restricted profile allows only NET_BIND_SERVICE."},
	"host-network": {RiskReview,
		"The pod gets its own network namespace: it no longer listens on the node's addresses or sees host interfaces.",
		"Check nothing reaches the pod by node IP and it does not manage host networking."},
	"host-pid": {RiskReview,
		"The pod no longer sees the node's processes (monitoring and debugging agents need them).",
		"Check the workload is not a node agent."},
	"host-ipc": {RiskReview,
		"Shared memory with host processes stops working.",
		"Check the workload does not share memory with processes on the node."},
	"seccomp-profile": {RiskReview,
		"The runtime's default profile blocks rarely used system calls (ptrace, some kernel keyring calls); a process that makes one gets EPERM.",
		"Run the workload's tests in a cluster with RuntimeDefault; look for 'operation not permitted'."},
	"automount-service-account-token": {RiskReview,
		"A process that calls the Kubernetes API loses its token and gets 401.",
		"Check the workload does not use client-go or kubectl in the pod; if it does, mount a projected token for it."},
	"resource-limits": {RiskReview,
		"A container that uses more memory than the limit is OOM-killed; above the CPU limit it is throttled.",
		"Compare the limits with the workload's actual usage (kubectl top, metrics) before merging."},
	"resource-requests": {RiskNone,
		"Requests only steer scheduling: a pod whose requests no node can meet stays Pending, a running one is unaffected.",
		"Check the cluster has room for the requests."},
}

// RiskOf is the documented risk of a control's fix.
func RiskOf(id string) Risk {
	if r, ok := risks[id]; ok {
		return r
	}
	return Risk{Level: RiskReview}
}

// withRisks attaches each fixable control's risk.
func withRisks(cs []*Control) []*Control {
	for _, c := range cs {
		if c.Fixable && c.Risk == nil {
			r := RiskOf(c.ID)
			c.Risk = &r
		}
	}
	return cs
}

// ImageLookup answers what an image reference resolved to; nil when images
// were not resolved (the default: scans stay offline).
type ImageLookup interface {
	Lookup(ref string) (imageinfo.Info, bool)
}

// NeedsResolve is why a fix that depends on the image was not checked
// against it.
const NeedsResolve = "needs --resolve-images"

// ImageOf returns the image data of a container: ok is false when images
// were not resolved or the lookup failed (note then says why).
func (cc *CheckContext) ImageOf(image string) (info imageinfo.Info, note string, ok bool) {
	if cc == nil || cc.Images == nil || image == "" {
		return imageinfo.Info{}, NeedsResolve, false
	}
	info, found := cc.Images.Lookup(image)
	switch {
	case !found:
		return info, NeedsResolve, false
	case !info.OK():
		return info, info.Note, false
	}
	return info, "", true
}

// ImageRefs returns every container image reference of in, once each, in
// file order: what --resolve-images looks up.
func ImageRefs(in *Inputs) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range in.Files {
		for _, d := range f.Docs {
			for _, r := range d.Resources() {
				ps := PodSpecOf(r)
				if ps == nil {
					continue
				}
				for _, c := range ps.Containers {
					if img := ScalarValue(Field(c.Node, "image")); img != "" && !seen[img] {
						seen[img] = true
						out = append(out, img)
					}
				}
			}
		}
	}
	return out
}

// ContainerOf returns the container a finding is about: the one whose path
// prefixes the finding's, else the one it names.
func ContainerOf(f Finding) (*PodSpec, Container, bool) {
	if f.Resource == nil {
		return nil, Container{}, false
	}
	ps := PodSpecOf(f.Resource)
	if ps == nil {
		return nil, Container{}, false
	}
	for _, c := range ps.Containers {
		if len(f.FieldPath) >= len(c.Path) && slices.Equal(f.FieldPath[:len(c.Path)], c.Path) {
			return ps, c, true
		}
	}
	for _, c := range ps.Containers {
		if f.Container != "" && c.Name == f.Container {
			return ps, c, true
		}
	}
	return ps, Container{}, false
}

// ImageOfFinding is the image reference of the container a finding is
// about, or "".
func ImageOfFinding(f Finding) string {
	_, c, ok := ContainerOf(f)
	if !ok {
		return ""
	}
	return ScalarValue(Field(c.Node, "image"))
}

// noteImage sets the note of a finding whose fix depends on an image that
// --resolve-images could not read.
func noteImage(f *Finding, c *Control, cc *CheckContext) {
	if cc.Images == nil || c.Risk == nil || c.Risk.Level != RiskImage {
		return
	}
	if _, note, ok := cc.ImageOf(ImageOfFinding(*f)); !ok && note != NeedsResolve {
		f.Note = note
	}
}
