#!/usr/bin/env bash
# Builds a Gitea server from the Go module proxy, cached by version, and starts
# throwaway instances of it on 127.0.0.1 for remedy's end-to-end tests.
#
#   hack/gitea.sh build          builds (or reuses) Gitea; prints its folder
#   hack/gitea.sh start [DIR]    starts an instance with its data in DIR (default:
#                                a new temporary folder) and prints, one a line,
#                                the environment for the e2e tests:
#                                  REMEDY_E2E_GITEA_URL=http://127.0.0.1:PORT/
#                                  REMEDY_E2E_GITEA_TOKEN=<admin token>
#                                  REMEDY_E2E_GITEA_USER=remedy-admin
#                                  REMEDY_E2E_GITEA_BIN=<the gitea binary>
#                                  REMEDY_E2E_GITEA_DIR=<DIR>
#                                  REMEDY_E2E_GITEA_PID=<pid of gitea web>
#   hack/gitea.sh stop DIR       stops the instance started in DIR and removes DIR
#
# Nothing is downloaded but Go modules: `go mod download` fetches Gitea's source,
# which is copied somewhere writable and built with its sqlite driver. No frontend
# build is needed: the API and git over HTTP do not use it; STATIC_ROOT_PATH points
# at that version's templates/, options/ and public/. A cold build takes 3-10+
# minutes on 2 cores; later calls reuse ${GITEA_CACHE}/gitea-<version>/.
#
# Environment:
#   GITEA_VERSION   Gitea version (default v1.26.0)
#   GITEA_CACHE     cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/remedy)
#   GITEA_GOFLAGS   extra flags for go build (default -p=1: the machine is shared)
set -euo pipefail

version="${GITEA_VERSION:-v1.26.0}"
cache_root="${GITEA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remedy}"
dest="$cache_root/gitea-$version"
build_flags="${GITEA_GOFLAGS:--p=1}"
admin_user="remedy-admin"

log() { echo "gitea.sh: $*" >&2; }

build() {
	if [ -x "$dest/gitea" ] && [ -d "$dest/static/templates" ]; then
		echo "$dest"
		return 0
	fi
	export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
	local src work
	src="$(go mod download -json "code.gitea.io/gitea@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	[ -d "$src" ] || { log "no source for code.gitea.io/gitea@$version"; exit 1; }
	work="$(mktemp -d)"
	# shellcheck disable=SC2064
	trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" EXIT
	log "building gitea $version in $work (cold: 3-10+ minutes)"
	cp -r "$src" "$work/gitea"
	chmod -R u+w "$work/gitea"
	mkdir -p "$dest"
	(
		cd "$work/gitea"
		# shellcheck disable=SC2086
		CGO_ENABLED=1 go build $build_flags -trimpath -tags 'sqlite sqlite_unlock_notify' \
			-ldflags "-s -w -X main.Version=${version#v}" \
			-o "$dest/gitea.tmp" . >&2
	)
	rm -rf "$dest/static"
	mkdir -p "$dest/static"
	cp -r "$work/gitea/templates" "$work/gitea/options" "$work/gitea/public" "$dest/static/"
	mv "$dest/gitea.tmp" "$dest/gitea"
	log "gitea $version ready in $dest"
	echo "$dest"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

start() {
	local home dir port bin conf token pid url
	home="$(build)"
	bin="$home/gitea"
	dir="${1:-$(mktemp -d -t remedy-gitea-XXXXXX)}"
	mkdir -p "$dir/custom/conf" "$dir/data" "$dir/log"
	port="$(free_port)"
	conf="$dir/custom/conf/app.ini"
	cat >"$conf" <<INI
APP_NAME = remedy e2e
RUN_USER = $(id -un)
RUN_MODE = prod
WORK_PATH = $dir
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = $port
ROOT_URL = http://127.0.0.1:$port/
DOMAIN = 127.0.0.1
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false
STATIC_ROOT_PATH = $home/static
APP_DATA_PATH = $dir/data

[database]
DB_TYPE = sqlite3
PATH = $dir/data/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = $dir/data/repositories
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = remedy-e2e-secret-key
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.remedy-e2e-internal

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 10

[actions]
ENABLED = false

[indexer]
REPO_INDEXER_ENABLED = false

[cron]
ENABLED = false

[mailer]
ENABLED = false

[log]
MODE = file
LEVEL = Warn
ROOT_PATH = $dir/log
INI
	export GITEA_WORK_DIR="$dir" GITEA_CUSTOM="$dir/custom"
	"$bin" --config "$conf" migrate >"$dir/log/migrate.out" 2>&1 || { cat "$dir/log/migrate.out" >&2; exit 1; }
	"$bin" --config "$conf" admin user create --admin --username "$admin_user" \
		--password 'remedy-e2e-Passw0rd' --email remedy-admin@example.test --must-change-password=false \
		>"$dir/log/user.out" 2>&1 || { cat "$dir/log/user.out" >&2; exit 1; }
	token="$("$bin" --config "$conf" admin user generate-access-token --username "$admin_user" \
		--token-name remedy-e2e --scopes all --raw 2>"$dir/log/token.err" | tail -n 1)" || { cat "$dir/log/token.err" >&2; exit 1; }
	nohup "$bin" --config "$conf" web >"$dir/log/web.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/gitea.pid"
	url="http://127.0.0.1:$port/"
	for _ in $(seq 1 120); do
		if curl -fsS "${url}api/v1/version" >/dev/null 2>&1; then
			printf 'REMEDY_E2E_GITEA_URL=%s\nREMEDY_E2E_GITEA_TOKEN=%s\nREMEDY_E2E_GITEA_USER=%s\nREMEDY_E2E_GITEA_BIN=%s\nREMEDY_E2E_GITEA_DIR=%s\nREMEDY_E2E_GITEA_PID=%s\n' \
				"$url" "$token" "$admin_user" "$bin" "$dir" "$pid"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "gitea web exited:"
			tail -50 "$dir/log/web.out" >&2
			exit 1
		fi
		sleep 0.5
	done
	log "gitea did not answer on $url within 60s"
	kill "$pid" 2>/dev/null || true
	exit 1
}

stop() {
	local dir="${1:?usage: hack/gitea.sh stop DIR}" pid
	if [ -f "$dir/gitea.pid" ]; then
		pid="$(cat "$dir/gitea.pid")"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
	fi
	rm -rf "$dir"
}

case "${1:-build}" in
build) build ;;
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) log "usage: $0 build|start [DIR]|stop DIR"; exit 2 ;;
esac
