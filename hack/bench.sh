#!/usr/bin/env bash
# bench.sh: remedy against kube-score on the same plain manifests of the
# real-world corpus, run alternately, reporting medians, the ratio and peak
# RSS; then remedy on the whole corpus as deployed (Kustomize and Helm
# rendered) and `remedy fix` of it.
#
#   hack/bench.sh [RUNS]          (default 7 runs of each)
#   REMEDY_BENCH_BASE=REV hack/bench.sh [RUNS]
#
# With REMEDY_BENCH_BASE, remedy as of git revision REV (built from a
# temporary worktree into the cache, once per commit) runs too, alternating
# with the working tree's, in every row: a change's before and after under
# the same load.
#
# kube-score v1.20.0 is installed with `go install` into a cache folder
# outside the repository ($REMEDY_BENCH_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/remedy-bench); remedy is built there too.
# The corpus is ../shared/fixtures/manifests beside the repository
# ($REMEDY_BENCH_CORPUS). Peak RSS comes from /usr/bin/time -v when it is
# installed, else from getrusage through a tiny Go wrapper built in the cache.
set -euo pipefail

runs=${1:-7}
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${REMEDY_BENCH_CORPUS:-$repo/../shared/fixtures/manifests}
cache=${REMEDY_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remedy-bench}
kube_score_version=v1.20.0
mkdir -p "$cache/bin"
corpus=$(cd "$corpus" && pwd)

if [[ ! -x $cache/bin/kube-score-$kube_score_version ]]; then
	echo "installing kube-score $kube_score_version into $cache/bin" >&2
	(cd "$cache" && GOBIN="$cache/bin" GOFLAGS=-mod=mod go install "github.com/zegl/kube-score/cmd/kube-score@$kube_score_version")
	mv "$cache/bin/kube-score" "$cache/bin/kube-score-$kube_score_version"
fi
kube_score=$cache/bin/kube-score-$kube_score_version
# remedy is built as `make release` builds it (CGO off, -trimpath, -s -w):
# with cgo on, kustomize's import of Go's plugin package makes the linker
# keep every exported method and export every symbol (a 127 MB binary
# instead of 100, and 84 MB of RSS before main instead of 44).
echo "building remedy into $cache/bin (as make release does)" >&2
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$cache/bin/remedy" ./cmd/remedy)
remedy=$cache/bin/remedy
base=${REMEDY_BENCH_BASE:-}
if [[ -n $base ]]; then
	base_commit=$(cd "$repo" && git rev-parse --verify "$base^{commit}")
	base_bin=$cache/bin/remedy-${base_commit:0:12}
	if [[ ! -x $base_bin ]]; then
		echo "building remedy at $base ($base_commit) into $base_bin" >&2
		worktree=$(mktemp -d)
		(cd "$repo" && git worktree add -q --detach "$worktree" "$base_commit")
		(cd "$worktree" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$base_bin" ./cmd/remedy)
		(cd "$repo" && git worktree remove --force "$worktree")
	fi
fi

# Every remedy binary runs from a fresh copy made here, the same way: a
# binary the linker has just written and one built days ago sit in the page
# cache differently (Linux maps a new file's pages in large folios), and
# that alone moved a before-and-after comparison by 10 to 30 ms.
runbin=$(mktemp -d)
trap 'rm -rf "$runbin"' EXIT
cp "$remedy" "$runbin/remedy"
remedy=$runbin/remedy
if [[ -n $base ]]; then
	cp "$base_bin" "$runbin/remedy-base"
	base_bin=$runbin/remedy-base
fi

# precise: "WALL_MS CPU_MS MAXRSS_KB" of one run of a command (its exit
# status is ignored: both tools exit non-zero when they find something).
# CPU time (user+system) is reported beside wall time because on a shared
# machine wall time measures the neighbours as much as the program.
if [[ -x /usr/bin/time ]]; then
	precise() {
		local start end
		start=$(date +%s%N)
		/usr/bin/time -f '%U %S %M' -o "$cache/rss" "$@" >/dev/null 2>&1 || true
		end=$(date +%s%N)
		echo "$(( (end - start) / 1000000 )) $(tail -1 "$cache/rss" | awk '{printf "%d %d", ($1+$2)*1000, $3}')"
	}
else
	wrapper=$cache/bin/rusage
	if [[ ! -x $wrapper ]]; then
		mkdir -p "$cache/rusage"
		cat >"$cache/rusage/main.go" <<'EOF'
// rusage runs a command (its output discarded) and writes
// "WALL_MS CPU_MS MAXRSS_KB" of it to the file named first.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	start := time.Now()
	_ = cmd.Run()
	ms := time.Since(start).Milliseconds()
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Milliseconds()
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	if err := os.WriteFile(os.Args[1], fmt.Appendf(nil, "%d %d %d\n", ms, cpu, rss), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
EOF
		(
			cd "$cache/rusage"
			[[ -f go.mod ]] || go mod init rusage >/dev/null 2>&1
			go build -o "$wrapper" .
		)
	fi
	precise() {
		"$wrapper" "$cache/rss" "$@"
		cat "$cache/rss"
	}
fi

# The plain files: every manifest remedy and kube-score both read as
# written. Helm templates (with their {{ }}) are neither's plain input, and
# a kustomization file named on remedy's command line is built, not read.
mapfile -t files < <(find "$corpus" -type f \( -name '*.yaml' -o -name '*.yml' \) \
	! -name kustomization.yaml ! -name kustomization.yml -print0 |
	xargs -0 grep -L -F '{{' | sort)
# kube-score stops at the first file it cannot parse (a duplicate key, a
# non-Kubernetes YAML): keep the files it scores, so both do the same work.
scored=()
for f in "${files[@]}"; do
	errs=$("$kube_score" score "$f" 2>&1 >/dev/null || true)
	[[ $errs == *"Failed to score"* ]] || scored+=("$f")
done
echo "kube-score scores ${#scored[@]} of ${#files[@]} plain files; both tools get those" >&2
files=("${scored[@]}")
echo "corpus: $corpus, ${#files[@]} plain files, $runs runs each, $(nproc) CPUs" >&2

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print m}'; }
max() { sort -n | tail -1; }

# run NAME COMMAND...: one measured run, appended to NAME_wall, NAME_cpu, NAME_rss.
run() {
	local name=$1 w c r
	shift
	read -r w c r < <(precise "$@")
	eval "${name}_wall+=($w) ${name}_cpu+=($c) ${name}_rss+=($r)"
}
# fixrun NAME BINARY: one measured fix of a scratch copy (fix edits in place).
# The copy is synced first: otherwise the kernel writes the copy back while
# fix runs, and fix's own file creations and fsyncs wait on that journal
# (measured: the 213 writes took 130 ms of CPU instead of 40).
fixrun() {
	local scratch
	scratch=$(mktemp -d)
	cp -R "$corpus/." "$scratch/"
	sync
	run "$1" "$2" fix "$scratch"
	rm -rf "$scratch"
}
for ((i = 0; i < runs; i++)); do
	run startup "$remedy" version
	run remedy "$remedy" scan "${files[@]}" -o json
	run kubescore "$kube_score" score "${files[@]}"
	run deployed "$remedy" scan "$corpus" -o json
	fixrun fix "$remedy"
	if [[ -n $base ]]; then
		run basestartup "$base_bin" version
		run baseremedy "$base_bin" scan "${files[@]}" -o json
		run basedeployed "$base_bin" scan "$corpus" -o json
		fixrun basefix "$base_bin"
	fi
done

row() { # LABEL NAME
	local -n wall=$2_wall cpu=$2_cpu rss=$2_rss
	printf '%-44s %10s %10s %12s\n' "$1" "$(printf '%s\n' "${wall[@]}" | median)" \
		"$(printf '%s\n' "${cpu[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | max | awk '{printf "%.1f", $1/1024}')"
}
printf '\n%-44s %10s %10s %12s\n' "" "wall ms" "CPU ms" "peak RSS MB"
row "remedy version (start-up alone)" startup
row "remedy scan (${#files[@]} plain files)" remedy
row "kube-score $kube_score_version score (same files)" kubescore
row "remedy scan (corpus as deployed)" deployed
row "remedy fix (corpus as deployed)" fix
if [[ -n $base ]]; then
	row "at $base: remedy version" basestartup
	row "at $base: remedy scan (plain files)" baseremedy
	row "at $base: remedy scan (as deployed)" basedeployed
	row "at $base: remedy fix (as deployed)" basefix
fi
rw=$(printf '%s\n' "${remedy_wall[@]}" | median) kw=$(printf '%s\n' "${kubescore_wall[@]}" | median)
rc=$(printf '%s\n' "${remedy_cpu[@]}" | median) kc=$(printf '%s\n' "${kubescore_cpu[@]}" | median)
awk -v rw="$rw" -v kw="$kw" -v rc="$rc" -v kc="$kc" 'BEGIN {
	printf "\nremedy/kube-score on the plain files: wall %.2f, CPU %.2f (goal <= 0.33)\n", rw/kw, rc/kc }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
