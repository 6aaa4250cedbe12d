#!/usr/bin/env bash
# `npm run bench:tsm [-- <bench/tsm.ts options>]`: the TSM deploy benchmark on SQLite and PostgreSQL.
#
# With OPENTSM_PG_URL set, the bench uses that server (it creates and drops scratch databases in it).
# Without it, when PostgreSQL server binaries are under /usr/lib/postgresql/*/bin, this starts a
# throwaway cluster for the run — its own temp dir, 127.0.0.1 and a free port, DEFAULT durability
# (fsync on, synchronous_commit on, to compare fairly with SQLite's synchronous=FULL) — and stops
# and deletes it on exit. Without either, the bench prints the SQLite column and a note.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bench:tsm] %s\n' "$*" >&2; }

PG_DIR=''
PG_BIN=''
as_pg_owner() { # runs a command as the cluster's owner (initdb refuses root), killed after $1 s
  local seconds=$1
  shift
  if [[ "$(id -u)" == 0 ]]; then timeout "$seconds" runuser -u postgres -- "$@"; else timeout "$seconds" "$@"; fi
}
stop_postgres() {
  [[ -n "$PG_DIR" ]] || return 0
  if ! as_pg_owner 30 "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop > /dev/null 2>&1; then
    local pid
    pid="$(head -1 "$PG_DIR/data/postmaster.pid" 2> /dev/null)" || pid=''
    if [[ "$pid" =~ ^[0-9]+$ ]]; then kill -9 "$pid" 2> /dev/null || true; fi
  fi
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
  local dirs port
  mapfile -t dirs < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
  [[ ${#dirs[@]} -gt 0 && -x "${dirs[-1]}/initdb" ]] || return 1
  PG_BIN="${dirs[-1]}"
  if [[ "$(id -u)" == 0 ]] && ! id postgres > /dev/null 2>&1; then log "no 'postgres' user to own a cluster"; return 1; fi
  PG_DIR="$(mktemp -d -t opentsm-bench-pg.XXXXXX)"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$PG_DIR"; fi
  as_pg_owner 60 "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync -E UTF8 --no-locale > "$PG_DIR/initdb.log" 2>&1 ||
    { tail -20 "$PG_DIR/initdb.log" >&2; return 1; }
  port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
  as_pg_owner 45 "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=50" start > /dev/null 2>&1 ||
    { tail -20 "$PG_DIR/postgres.log" >&2; return 1; }
  export OPENTSM_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') started for the run: $OPENTSM_PG_URL (fsync on)"
}

if [[ -z "${OPENTSM_PG_URL:-}" ]]; then
  start_postgres || log "no PostgreSQL cluster could be started; the bench skips the PostgreSQL column"
fi
node --expose-gc --import tsx bench/tsm.ts "$@"
