#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#
#   tests/pg/pg_cluster.sh start STATE_DIR   initdb into a fresh temp dir, start postgres on a
#                                            free loopback port (its unix socket in the temp dir
#                                            too), create database vouch_test, and write its URI
#                                            (postgresql://vouch:PASSWORD@127.0.0.1:PORT/vouch_test)
#                                            to STATE_DIR/conninfo (0600)
#   tests/pg/pg_cluster.sh stop STATE_DIR    stop it and remove the temp dir (idempotent)
#   tests/pg/pg_cluster.sh pause STATE_DIR   stop the server only (fast shutdown), keeping its data
#   tests/pg/pg_cluster.sh resume STATE_DIR  start it again on the same port (fault tests)
#
# ctest runs these as the FIXTURES_SETUP / FIXTURES_CLEANUP of the `vouch_pg` fixture, and
# deploy/test.sh calls `stop` from an EXIT trap as a safety net. Run as root, the server runs as
# the `postgres` user (or `nobody`), because initdb refuses root. Fails loudly, never skips.
# Environment: PG_BIN (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

cmd=${1:-}
state=${2:-}
if [[ -z "$cmd" || -z "$state" ]]; then
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
fi
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

fail() {
  echo "pg_cluster: $*" >&2
  exit 1
}

owner=""
if [[ "$(id -u)" == 0 ]]; then
  if getent passwd postgres >/dev/null; then owner=postgres; else owner=nobody; fi
fi
as_owner() {
  if [[ -n "$owner" ]]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

stop_cluster() {
  [[ -f "$state/tmpdir" ]] || return 0
  local tmp
  tmp=$(cat "$state/tmpdir")
  case "$tmp" in
    /tmp/vouch-pg.*) ;;
    *) fail "refusing to remove unexpected directory '$tmp'" ;;
  esac
  if [[ -f "$tmp/data/postmaster.pid" ]]; then
    as_owner "$PG_BIN/pg_ctl" -D "$tmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
      local pid
      pid=$(head -n 1 "$tmp/data/postmaster.pid" 2>/dev/null || true)
      [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
    }
  fi
  rm -rf "$tmp"
  rm -f "$state/tmpdir" "$state/conninfo"
}

start_cluster() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] ||
    fail "PostgreSQL server binaries not found (PG_BIN='$PG_BIN'); install Debian's postgresql (deploy/install-deps.sh)"
  mkdir -p "$state"
  stop_cluster  # leftovers of an interrupted run
  local tmp pw port log started=0
  tmp=$(mktemp -d /tmp/vouch-pg.XXXXXX)
  echo "$tmp" >"$state/tmpdir"
  chmod 700 "$tmp"
  [[ -n "$owner" ]] && chown "$owner" "$tmp"
  pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$pw" >"$tmp/pwfile")
  [[ -n "$owner" ]] && chown "$owner" "$tmp/pwfile"
  if ! as_owner "$PG_BIN/initdb" -D "$tmp/data" -U vouch -A scram-sha-256 --pwfile="$tmp/pwfile" \
      -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1; then
    cat "$tmp/initdb.log" >&2
    rm -f "$tmp/pwfile"
    fail "initdb failed (log above)"
  fi
  rm -f "$tmp/pwfile"
  log="$tmp/postgres.log"
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    local opts="-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    if as_owner "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$log" -w -t 60 -o "$opts" \
        start >/dev/null 2>&1; then
      echo "$opts" >"$state/server_opts"
      started=1
      break
    fi
  done
  if [[ "$started" != 1 ]]; then
    tail -n 30 "$log" >&2 || true
    fail "postgres did not start on any of 20 loopback ports (log above)"
  fi
  PGPASSWORD="$pw" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U vouch \
    -d postgres -c "CREATE DATABASE vouch_test" >/dev/null ||
    fail "cannot create database vouch_test on port $port"
  (umask 077 && echo "postgresql://vouch:$pw@127.0.0.1:$port/vouch_test" >"$state/conninfo")
  echo "pg_cluster: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $tmp, URI in $state/conninfo"
}

pause_cluster() {
  [[ -f "$state/tmpdir" ]] || fail "no cluster in $state"
  local tmp
  tmp=$(cat "$state/tmpdir")
  as_owner "$PG_BIN/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >/dev/null
}

resume_cluster() {
  [[ -f "$state/tmpdir" && -f "$state/server_opts" ]] || fail "no paused cluster in $state"
  local tmp
  tmp=$(cat "$state/tmpdir")
  as_owner "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w -t 60 \
    -o "$(cat "$state/server_opts")" start >/dev/null
}

case "$cmd" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  pause) pause_cluster ;;
  resume) resume_cluster ;;
  *) fail "unknown command '$cmd' (start|stop|pause|resume)" ;;
esac
