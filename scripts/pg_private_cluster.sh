#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for tests, independent of any system server.
#
#   scripts/pg_private_cluster.sh start [PORT]   # prints the URL on stdout
#   scripts/pg_private_cluster.sh stop  [PORT]   # stops it and deletes its data
#   scripts/pg_private_cluster.sh url   [PORT]   # prints the URL of a running one
#
# PORT defaults to 55432; if it is taken by something else, the next free port
# (up to PORT+20) is used, and the URL printed tells which one. `stop` with no
# PORT stops every cluster this script started. Only the URL goes to stdout,
# so `PG_URL=$(scripts/pg_private_cluster.sh start)` works; progress goes to
# stderr.
#
# The cluster lives in $PG_PRIVATE_ROOT/<port> (default /tmp/vendorgov-pg),
# listens on 127.0.0.1 only, trusts every local connection, has a database
# `test` owned by `postgres`, and runs with fsync off (it is disposable).
# PostgreSQL refuses to run as root: as root the server runs as the `postgres`
# user (created if missing). If no PostgreSQL server binaries are installed
# and we are root, the Debian package `postgresql` is installed.
set -euo pipefail

ROOT_DIR=${PG_PRIVATE_ROOT:-/tmp/vendorgov-pg}
DEFAULT_PORT=55432
RUN_USER=postgres

log() { echo "pg_private_cluster: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
        echo "$d"
        return 0
    fi
    # Non-Debian layout: initdb on PATH.
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

ensure_postgres_installed() {
    if BINDIR=$(find_bindir); then
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL server binaries not found and not root: install the 'postgresql' package"
    log "PostgreSQL not installed: apt-get install postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends postgresql >&2 \
        || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends postgresql >&2; }
    BINDIR=$(find_bindir) || die "PostgreSQL still not found after installing it"
}

# Run a command as the cluster's owner (root can't run postgres).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$RUN_USER" -- "$@"
        else
            su -s /bin/sh "$RUN_USER" -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

ensure_run_user() {
    [[ $(id -u) -eq 0 ]] || return 0
    if ! id "$RUN_USER" >/dev/null 2>&1; then
        log "creating system user $RUN_USER"
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh "$RUN_USER" >&2
    fi
}

port_in_use() {
    # Anything accepting TCP connections on 127.0.0.1:$1?
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_running() { # $1 = cluster dir
    [[ -f "$1/data/postmaster.pid" ]] && as_owner "$BINDIR/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

url_for() { echo "postgresql://postgres@127.0.0.1:$1/test"; }

stop_one() { # $1 = port
    local dir="$ROOT_DIR/$1"
    [[ -d "$dir" ]] || { log "no private cluster on port $1"; return 0; }
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        log "stopping cluster on port $1"
        as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || log "WARNING: pg_ctl stop failed for $dir (see $dir/server.log)"
    fi
    rm -rf "$dir"
}

cmd_start() {
    local want=${1:-$DEFAULT_PORT} port dir
    [[ "$want" =~ ^[0-9]+$ ]] || die "bad port: $want"
    ensure_postgres_installed
    ensure_run_user
    mkdir -p "$ROOT_DIR"
    chmod 755 "$ROOT_DIR"

    for ((port = want; port <= want + 20; port++)); do
        dir="$ROOT_DIR/$port"
        if [[ -d "$dir" ]]; then
            # Left over from an earlier run: throw it away and start fresh.
            stop_one "$port"
        fi
        if port_in_use "$port"; then
            log "port $port is taken, trying the next one"
            continue
        fi
        break
    done
    ((port <= want + 20)) || die "no free port in $want..$((want + 20))"

    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown "$RUN_USER:" "$dir"
    chmod 700 "$dir"

    log "initdb in $dir/data ($("$BINDIR/postgres" --version))"
    (cd "$dir" && as_owner "$BINDIR/initdb" -D "$dir/data" -U postgres -A trust \
        -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1) \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    log "starting server on 127.0.0.1:$port"
    (cd "$dir" && as_owner "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=200" start >/dev/null) \
        || { tail -n 30 "$dir/server.log" >&2 || true; die "server did not start"; }

    "$BINDIR/createdb" -h 127.0.0.1 -p "$port" -U postgres test \
        || die "createdb test failed"
    url_for "$port"
}

cmd_stop() {
    BINDIR=$(find_bindir) || BINDIR=""
    if [[ $# -ge 1 ]]; then
        [[ -n "$BINDIR" ]] || { rm -rf "${ROOT_DIR:?}/$1"; return 0; }
        stop_one "$1"
    else
        local d
        for d in "$ROOT_DIR"/*/; do
            [[ -d "$d" ]] || continue
            d=${d%/}
            if [[ -n "$BINDIR" ]]; then stop_one "${d##*/}"; else rm -rf "$d"; fi
        done
    fi
}

cmd_url() {
    local port=${1:-$DEFAULT_PORT}
    BINDIR=$(find_bindir) || die "PostgreSQL not installed"
    is_running "$ROOT_DIR/$port" || die "no private cluster running on port $port"
    url_for "$port"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    url) shift; cmd_url "$@" ;;
    *) echo "usage: $0 start|stop|url [PORT]" >&2; exit 2 ;;
esac
