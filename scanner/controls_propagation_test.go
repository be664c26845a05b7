package scanner

import (
	"strings"
	"testing"
)

// A privileged container with Bidirectional mount propagation cannot be
// made unprivileged, nor given allowPrivilegeEscalation: false, without the
// API server refusing the object (found by e2e/trust_test.go).
func TestBidirectionalPropagationKeepsPrivileged(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: agent
spec:
  containers:
  - name: agent
    image: agent:1.0
    securityContext:
      privileged: true
    volumeMounts:
    - name: plugins
      mountPath: /plugins
      mountPropagation: %s
`
	tests := []struct {
		propagation string
		wantFixable bool
	}{
		{"Bidirectional", false},
		{"HostToContainer", true},
	}
	for _, tt := range tests {
		for _, control := range []string{"privileged", "no-privilege-escalation"} {
			fs := scanManifest(t, strings.Replace(pod, "%s", tt.propagation, 1), nil, control)
			if len(fs) != 1 {
				t.Fatalf("%s, %s: %d findings, want 1", tt.propagation, control, len(fs))
			}
			if fs[0].Fixable != tt.wantFixable || (fs[0].NotFixable == "") != tt.wantFixable {
				t.Errorf("%s, %s: fixable %v (%q), want %v", tt.propagation, control, fs[0].Fixable, fs[0].NotFixable, tt.wantFixable)
			}
		}
	}
}
