#!/usr/bin/env bash
# bench.sh: remedy against kube-score on the same plain manifests of the
# real-world corpus, run alternately, reporting medians, the ratio and peak
# RSS; then remedy on the whole corpus as deployed (Kustomize and Helm
# rendered) and `remedy fix` of it.
#
#   hack/bench.sh [RUNS]          (default 7 runs of each)
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
echo "building remedy into $cache/bin" >&2
(cd "$repo" && go build -o "$cache/bin/remedy" ./cmd/remedy)
remedy=$cache/bin/remedy

# precise: "MILLISECONDS MAXRSS_KB" of one run of a command (its exit
# status is ignored: both tools exit non-zero when they find something).
if [[ -x /usr/bin/time ]]; then
	precise() {
		local start end
		start=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$cache/rss" "$@" >/dev/null 2>&1 || true
		end=$(date +%s%N)
		echo "$(( (end - start) / 1000000 )) $(tail -1 "$cache/rss")"
	}
else
	wrapper=$cache/bin/rusage
	if [[ ! -x $wrapper ]]; then
		mkdir -p "$cache/rusage"
		cat >"$cache/rusage/main.go" <<'EOF'
// rusage runs a command and prints "MILLISECONDS MAXRSS_KB" of it on stderr.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	start := time.Now()
	_ = cmd.Run()
	ms := time.Since(start).Milliseconds()
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	fmt.Fprintf(os.Stderr, "%d %d\n", ms, rss)
}
EOF
		(cd "$cache/rusage" && [[ -f go.mod ]] || go mod init rusage >/dev/null 2>&1; go build -o "$wrapper" .)
	fi
	precise() { { "$wrapper" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1; }
fi

# The plain files: every manifest remedy and kube-score both read as
# written (Helm templates, with their {{ }}, are neither's plain input).
mapfile -t files < <(find "$corpus" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 |
	xargs -0 grep -L -F '{{' | sort)
echo "corpus: $corpus, ${#files[@]} plain files, $runs runs each, $(nproc) CPUs" >&2

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; print m}'; }
max() { sort -n | tail -1; }

declare -a rt rr kt kr dt dr ft fr
for ((i = 0; i < runs; i++)); do
	read -r t r < <(precise "$remedy" scan "${files[@]}" -o json)
	rt+=("$t"); rr+=("$r")
	read -r t r < <(precise "$kube_score" score "${files[@]}")
	kt+=("$t"); kr+=("$r")
	read -r t r < <(precise "$remedy" scan "$corpus" -o json)
	dt+=("$t"); dr+=("$r")
	# fix of a scratch copy: remedy fix edits in place.
	scratch=$(mktemp -d)
	cp -R "$corpus/." "$scratch/"
	read -r t r < <(precise "$remedy" fix "$scratch")
	ft+=("$t"); fr+=("$r")
	rm -rf "$scratch"
done

rm_=$(printf '%s\n' "${rt[@]}" | median)
km=$(printf '%s\n' "${kt[@]}" | median)
printf '\n%-40s %10s %14s\n' "" "median ms" "peak RSS MB"
printf '%-40s %10s %14s\n' "remedy scan (plain files)" "$rm_" "$(printf '%s\n' "${rr[@]}" | max | awk '{printf "%.1f", $1/1024}')"
printf '%-40s %10s %14s\n' "kube-score $kube_score_version score (same files)" "$km" "$(printf '%s\n' "${kr[@]}" | max | awk '{printf "%.1f", $1/1024}')"
printf '%-40s %10s %14s\n' "remedy scan (corpus as deployed)" "$(printf '%s\n' "${dt[@]}" | median)" "$(printf '%s\n' "${dr[@]}" | max | awk '{printf "%.1f", $1/1024}')"
printf '%-40s %10s %14s\n' "remedy fix (corpus as deployed)" "$(printf '%s\n' "${ft[@]}" | median)" "$(printf '%s\n' "${fr[@]}" | max | awk '{printf "%.1f", $1/1024}')"
awk -v r="$rm_" -v k="$km" 'BEGIN {printf "\nratio remedy/kube-score on plain files: %.2f (goal <= 0.33)\n", r/k}'
