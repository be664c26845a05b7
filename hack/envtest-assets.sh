#!/usr/bin/env bash
# Builds the envtest assets (kube-apiserver and etcd) from the Go module proxy and
# prints the folder holding them, for KUBEBUILDER_ASSETS:
#
#   export KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)"
#
# Nothing is downloaded but Go modules: `go install` refuses both commands (their
# modules carry replace directives), so each is built from a small wrapper module
# that restates those replaces. The binaries are cached by version outside the
# repository and reused when present; a cold build takes about 13 minutes on 2 cores.
#
# Environment:
#   KUBE_VERSION      kube-apiserver version (default v1.37.2)
#   ETCD_VERSION      etcd version (default v3.7.3)
#   ENVTEST_CACHE     cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/remedy/envtest)
#   ENVTEST_GOFLAGS   extra flags for go build (default -p=1: the machine is shared)
set -euo pipefail

kube_version="${KUBE_VERSION:-v1.37.2}"
etcd_version="${ETCD_VERSION:-v3.7.3}"
cache_root="${ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remedy/envtest}"
dest="$cache_root/kube-apiserver-$kube_version-etcd-$etcd_version"
build_flags="${ENVTEST_GOFLAGS:--p=1}"

log() { echo "envtest-assets: $*" >&2; }

if [ -x "$dest/kube-apiserver" ] && [ -x "$dest/etcd" ]; then
	echo "$dest"
	exit 0
fi

export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# Assets are plain Linux binaries; cgo would only add a C toolchain dependency.
export CGO_ENABLED=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

# staging_replaces prints a replace line for every staging module of kubernetes at
# $1, read from kubernetes' own go.mod (its `=> ./staging/...` list), each pinned
# to the matching v0.x release.
staging_replaces() {
	local gomod staging_version
	gomod="$(go mod download -json "k8s.io/kubernetes@$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
	[ -f "$gomod" ] || { log "no go.mod for k8s.io/kubernetes@$1"; exit 1; }
	staging_version="v0.${1#v1.}"
	sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod" |
		grep -v -e '^k8s.io/sample-cli-plugin$' -e '^k8s.io/sample-controller$' |
		sort -u |
		while read -r module; do
			echo "replace $module => $module $staging_version"
		done
}

if [ ! -x "$dest/kube-apiserver" ]; then
	log "building kube-apiserver $kube_version (cold: about 13 minutes)"
	mkdir -p "$work/apiserver"
	cd "$work/apiserver"
	{
		echo "module remedy.local/envtest/apiserver"
		echo
		echo "go $(go env GOVERSION | sed 's/^go//')"
		echo
		echo "require k8s.io/kubernetes $kube_version"
		echo
		staging_replaces "$kube_version"
	} >go.mod
	cat >tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
	go mod tidy >&2
	minor="${kube_version#v1.}"
	minor="${minor%%.*}"
	ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags="$ldflags -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done
	# shellcheck disable=SC2086
	go build $build_flags -trimpath -ldflags "$ldflags" -o "$dest/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
	mv "$dest/kube-apiserver.tmp" "$dest/kube-apiserver"
fi

if [ ! -x "$dest/etcd" ]; then
	log "building etcd $etcd_version"
	mkdir -p "$work/etcd"
	cd "$work/etcd"
	{
		echo "module remedy.local/envtest/etcd"
		echo
		echo "go $(go env GOVERSION | sed 's/^go//')"
		echo
		echo "require go.etcd.io/etcd/server/v3 $etcd_version"
	} >go.mod
	cat >tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
	go mod tidy >&2
	# shellcheck disable=SC2086
	go build $build_flags -trimpath -ldflags "-s -w" -o "$dest/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
	mv "$dest/etcd.tmp" "$dest/etcd"
fi

log "assets ready"
echo "$dest"
