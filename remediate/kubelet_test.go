package remediate

import (
	"fmt"
	"strconv"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/scanner"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kubeletRunAsNonRoot is the rule of verifyRunAsNonRoot in k8s.io/kubernetes
// pkg/kubelet/kuberuntime (security_context_others.go), ported as a test
// oracle: the kubelet refuses to start a container (CreateContainerConfigError)
// whose effective runAsNonRoot is true when
//   - its effective runAsUser is 0 ("container's runAsUser breaks non-root policy");
//   - no runAsUser is set and the image's uid is 0, an empty USER counting
//     as root ("container has runAsNonRoot and image will run as root");
//   - no runAsUser is set and the image's user is a name ("container has
//     runAsNonRoot and image has non-numeric user (…), cannot verify user
//     is non-root"). The kubelet does not read /etc/passwd.
//
// The effective value of each field is the container's, else the pod's
// (determineEffectiveSecurityContext).
func kubeletRunAsNonRoot(ps *scanner.PodSpec, c scanner.Container, img imageinfo.Info) error {
	nonRoot := effectiveField(ps, c, "runAsNonRoot")
	if nonRoot == nil || nonRoot.Value != "true" {
		return nil
	}
	if u := effectiveField(ps, c, "runAsUser"); u != nil {
		uid, err := strconv.ParseInt(u.Value, 10, 64)
		if err == nil && uid == 0 {
			return fmt.Errorf("container's runAsUser breaks non-root policy (container: %s)", c.Name)
		}
		return nil
	}
	if img.NumericUser() {
		if uid, _ := img.UID(); uid == 0 {
			return fmt.Errorf("container has runAsNonRoot and image will run as root (container: %s)", c.Name)
		}
		return nil
	}
	return fmt.Errorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root (container: %s)", img.UserName(), c.Name)
}

func effectiveField(ps *scanner.PodSpec, c scanner.Container, field string) *yaml.Node {
	for _, owner := range []*yaml.Node{c.Node, ps.Node} {
		if v := scanner.Field(scanner.Field(owner, "securityContext"), field); v != nil && v.Value != "" && v.Tag != "!!null" {
			return v
		}
	}
	return nil
}
