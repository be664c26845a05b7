// Package e2e holds the end-to-end tests that need a real kube-apiserver and
// etcd (see scanner/cluster/clustertest): the trust test, which checks that
// remedy fix never turns a manifest the API server accepts into one it
// refuses, and the benchmark of a cluster scan of 5,000 workloads.
//
// They are built with the e2e tag only, so `go test ./...` stays fast:
//
//	KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)" go test -tags e2e -run E2E ./...
//	KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)" go test -tags e2e -run '^$' -bench ClusterScan -benchmem ./e2e/
package e2e
