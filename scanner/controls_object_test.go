package scanner

import "testing"

func TestDefaultNamespace(t *testing.T) {
	runControlCases(t, "default-namespace", []controlCase{
		{
			name: "any kind in default fails at the namespace key",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  level: debug
`,
			want: []hit{{Line: 5, Path: "metadata.namespace"}},
		},
		{
			name: "List items: paths are relative to the item",
			manifest: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: default
  spec:
    ports: [{port: 80}]
- apiVersion: v1
  kind: Service
  metadata:
    name: api
    namespace: shop
  spec:
    ports: [{port: 80}]
`,
			want: []hit{{Line: 8, Path: "metadata.namespace"}},
		},
		{
			name: "no namespace passes",
			manifest: `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
`,
		},
	})
}

func TestServiceNodePort(t *testing.T) {
	runControlCases(t, "service-node-port", []controlCase{
		{
			name: "NodePort fails at the type key",
			manifest: `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  ports:
  - port: 80
    nodePort: 30080
`,
			want: []hit{{Line: 6, Path: "spec.type"}},
		},
		{
			name: "ClusterIP passes",
			manifest: `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
  ports:
  - port: 80
`,
		},
		{
			name: "default type passes",
			manifest: `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
`,
		},
	})
}
