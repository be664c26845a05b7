#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the store's tests and prints its
# connection URL on stdout:
#
#   export REMEDY_TEST_POSTGRES="$(hack/postgres.sh start)"
#   go test ./serve/jobs/...
#   hack/postgres.sh stop
#
# Uses Debian's postgresql package (apt-get install -y postgresql); the
# cluster lives in $REMEDY_PG_DIR (default: a directory under the user's
# cache), listens on 127.0.0.1 only, on a free port, and trusts local
# connections: it is for tests, never for data. initdb refuses to run as
# root, so as root the cluster belongs to the postgres user.
set -euo pipefail

cmd="${1:-start}"
dir="${REMEDY_PG_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/remedy/postgres}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
	echo "postgres.sh: no PostgreSQL under /usr/lib/postgresql: apt-get install -y postgresql" >&2
	exit 1
fi

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2
	fi
	exit 0
	;;
start) ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$dir"
fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
fi
if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
	port="$(sed -n 4p "$dir/data/postmaster.pid")"
else
	# A free port: bind 0, read what the kernel gave, release it.
	port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >&2
fi
db=remedy_test
if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
	as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
fi
echo "postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"
