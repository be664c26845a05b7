#!/usr/bin/env bash
# Pin deploy/ to a released image by digest, so that what runs is exactly
# what was released and scanned (a tag can be moved; a digest cannot):
#
#   hack/pin-image.sh ghcr.io/remedy-bot/remedy:v1.2.3@sha256:<64 hex>
#
# It rewrites the images: entry of deploy/base/kustomization.yaml (both
# variants, deploy/ and deploy/ha, inherit it) to the tag and digest, in
# place; nothing else in the file changes. The digest is the one `docker
# push` or `crane digest` printed for the release. --kustomization FILE
# rewrites another file (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."

file=deploy/base/kustomization.yaml
if [ "${1:-}" = "--kustomization" ]; then
	file=$2
	shift 2
fi
if [ $# -ne 1 ]; then
	echo "usage: hack/pin-image.sh [--kustomization FILE] NAME:TAG@sha256:DIGEST" >&2
	exit 2
fi
ref=$1
if ! [[ $ref =~ ^([^@:]+(:[0-9]+)?[^@:]*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})@(sha256:[0-9a-f]{64})$ ]]; then
	echo "pin-image: $ref: want NAME:TAG@sha256:<64 hex digits>" >&2
	exit 2
fi
name=${BASH_REMATCH[1]} tag=${BASH_REMATCH[3]} digest=${BASH_REMATCH[4]}
if ! grep -q "^  - name: $name\$" "$file"; then
	echo "pin-image: $file has no images: entry for $name" >&2
	exit 1
fi
# Replace the entry's newTag/digest lines (whatever was there) with the
# pinned pair; other entries and the rest of the file stay as they are.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk -v name="$name" -v tag="$tag" -v digest="$digest" '
	$0 == "  - name: " name { print; print "    newTag: " tag; print "    digest: " digest; inside = 1; next }
	inside && /^    (newTag|digest|newName):/ { next }
	{ inside = 0; print }
' "$file" >"$tmp"
cat "$tmp" >"$file"
echo "pinned $name to $tag@$digest in $file"
