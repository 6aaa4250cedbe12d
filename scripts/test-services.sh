#!/usr/bin/env bash
# OpenTSM services tests: tests that need real system services (pcscd with vsmartcard's vpcd
# driver; a throwaway PostgreSQL cluster, its URL in OPENTSM_PG_URL; SoftHSM2 for later tests).
#
# Convention: a services test is a file test/services/**/*.test.ts. It runs only when
# OPENTSM_SERVICES=1 (this script sets it) and skips itself under a plain `npm test`. It may
# assume every service this script starts is up; it starts and stops its own in-process parts
# (e.g. the vpcd bridge), and bounds every wait.
#
# What this script does, in order:
#   1. installs the Debian packages the services need, only those missing (apt-get; root or sudo);
#   2. builds the optional PC/SC binding (@pokusew/pcsclite) if `npm ci` could not build it;
#   3. starts each service in the background, logs under a temp dir, stopped by PID on exit
#      (PostgreSQL: a new cluster in its own temp dir, on 127.0.0.1 and a free port, removed on exit);
#   4. runs the services tests with node's test runner (its summary is the last thing printed)
#      and exits with the runner's status.
#
# Adding a service: list its packages in PACKAGES (and a probe in `missing_packages` if the
# package name is not enough), write `start_<name>` that starts it in the background, waits
# (bounded) until it is ready and registers its stop command with `on_exit`, and call it in `main`.
#
# Usage: npm run test:services [-- <test path>...]   e.g. npm run test:services -- test/services/pcsc
# Environment: SERVICES_TEST_TIMEOUT (seconds, default 300) bounds the test run;
#              KEEP_SERVICE_LOGS=1 keeps the log directory even when everything passes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: command or file that proves each is installed, then the package.
PACKAGES=(
  "/usr/sbin/pcscd                                   pcscd"
  "/usr/lib/pcsc/drivers/serial/libifdvpcd.so        vsmartcard-vpcd"
  "/usr/bin/opensc-tool                              opensc"
  "/usr/bin/pcsc_scan                                pcsc-tools"
  "/usr/include/PCSC/winscard.h                      libpcsclite-dev"
  "/usr/bin/softhsm2-util                            softhsm2"
)
PCSC_PACKAGE='@pokusew/pcsclite'
VPCD_PORT=35963 # "Virtual PCD 00 00" in /etc/reader.conf.d/vpcd

LOG_DIR="$(mktemp -d -t opentsm-services.XXXXXX)"
EXIT_COMMANDS=()
FAILED=1

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Registers a command to run on exit; commands run in reverse order of registration.
on_exit() { EXIT_COMMANDS+=("$1"); }
cleanup() {
  local i
  for ((i = ${#EXIT_COMMANDS[@]} - 1; i >= 0; i--)); do eval "${EXIT_COMMANDS[$i]}" || true; done
  if [[ "$FAILED" == 1 ]]; then
    log "service logs kept in $LOG_DIR"
  elif [[ "${KEEP_SERVICE_LOGS:-0}" != 1 ]]; then
    rm -rf "$LOG_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"
  elif command -v sudo > /dev/null; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# Prints the packages that are not installed yet, one a line.
missing_packages() {
  local entry probe pkg
  for entry in "${PACKAGES[@]}"; do
    read -r probe pkg <<< "$entry"
    [[ -e "$probe" ]] || echo "$pkg"
  done
  # PostgreSQL server binaries (any major version; the tests use initdb/pg_ctl directly)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null || echo postgresql-15
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} == 0 ]]; then
    log "packages: all present"
    return
  fi
  log "packages: installing ${missing[*]}"
  # keep package scripts from starting daemons (PostgreSQL's init script would start a cluster)
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    POLICY_RC=/usr/sbin/policy-rc.d
    on_exit remove_policy_rc
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $POLICY_RC && chmod 755 $POLICY_RC"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq > "$LOG_DIR/apt.log" 2>&1 ||
    { tail -20 "$LOG_DIR/apt.log" >&2; die "apt-get update failed"; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >> "$LOG_DIR/apt.log" 2>&1 ||
    { tail -20 "$LOG_DIR/apt.log" >&2; die "apt-get install failed"; }
  remove_policy_rc
}

POLICY_RC=''
remove_policy_rc() {
  if [[ -n "$POLICY_RC" ]]; then as_root rm -f "$POLICY_RC"; fi
  POLICY_RC=''
}

pcsc_binding_loads() { node -e "require('$PCSC_PACKAGE')" > /dev/null 2>&1; }

build_pcsc_binding() {
  if pcsc_binding_loads; then
    log "PC/SC binding: $PCSC_PACKAGE loads"
    return
  fi
  [[ -d node_modules ]] || die "node_modules is missing: run npm ci first"
  local version
  version="$(node -p "require('./package.json').optionalDependencies['$PCSC_PACKAGE']")"
  # node-gyp: use the installed Node headers rather than downloading them (CI has no nodejs.org access)
  if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/common.gypi ]]; then export npm_config_nodedir=/usr; fi
  if [[ -f "node_modules/$PCSC_PACKAGE/package.json" ]]; then
    log "PC/SC binding: rebuilding $PCSC_PACKAGE"
    npm rebuild "$PCSC_PACKAGE" > "$LOG_DIR/pcsc-binding.log" 2>&1 || true
  else
    # npm ci drops an optional dependency whose build failed; add it back without touching package*.json
    log "PC/SC binding: installing $PCSC_PACKAGE@$version"
    npm install --no-save --no-audit --no-fund "$PCSC_PACKAGE@$version" > "$LOG_DIR/pcsc-binding.log" 2>&1 || true
  fi
  pcsc_binding_loads || { tail -30 "$LOG_DIR/pcsc-binding.log" >&2; die "could not build $PCSC_PACKAGE (log above)"; }
}

port_listening() { # is anything listening on TCP port $1 (IPv4 or IPv6)?
  local hex
  hex="$(printf '%04X' "$1")"
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2> /dev/null
}

# Prints the PID of a live pcscd (from its PID file), or fails.
running_pcscd() {
  local pid state
  pid="$(cat /run/pcscd/pcscd.pid 2> /dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2> /dev/null)" == pcscd ]] || return 1
  state="$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)"
  [[ -n "$state" && "$state" != Z ]] || return 1 # a zombie is not running
  echo "$pid"
}

start_pcscd() {
  local running
  if running="$(running_pcscd)"; then
    log "pcscd: already running (pid $running); using it"
  else
    # foreground mode, in the background: -f logs to stdout, -a logs APDUs (shown at -d level)
    pcscd -f -a -d > "$LOG_DIR/pcscd.log" 2>&1 &
    local pid=$!
    on_exit "stop_pid $pid pcscd"
    local deadline=$((SECONDS + 15))
    until [[ -S /run/pcscd/pcscd.comm ]] && port_listening "$VPCD_PORT"; do
      kill -0 "$pid" 2> /dev/null || { tail -20 "$LOG_DIR/pcscd.log" >&2; die "pcscd exited"; }
      ((SECONDS < deadline)) || die "pcscd not ready after 15 s (log: $LOG_DIR/pcscd.log)"
      sleep 0.1
    done
    log "pcscd: started (pid $pid, vpcd on port $VPCD_PORT, log $LOG_DIR/pcscd.log)"
  fi
  port_listening "$VPCD_PORT" || die "nothing listens on the vpcd port $VPCD_PORT: is /etc/reader.conf.d/vpcd present?"
}

# as_pg_owner SECONDS COMMAND...: runs a command as the cluster's owner, killed after SECONDS.
# initdb refuses root, so root runs it as `postgres`; anyone else runs it as themselves.
as_pg_owner() {
  local seconds=$1
  shift
  if [[ "$(id -u)" == 0 ]]; then timeout "$seconds" runuser -u postgres -- "$@"; else timeout "$seconds" "$@"; fi
}

# Prints the newest PostgreSQL server bin directory.
postgres_bin() {
  local dirs
  mapfile -t dirs < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
  [[ ${#dirs[@]} -gt 0 && -x "${dirs[-1]}/initdb" ]] || return 1
  echo "${dirs[-1]}"
}

# Prints a TCP port on 127.0.0.1 that nothing listens on (the kernel picks it).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# A throwaway cluster: its own temp dir owned by the server user, 127.0.0.1 only, fsync off (test
# data only: never for a real database), stopped and deleted on exit. Exports OPENTSM_PG_URL.
start_postgres() {
  local bin dir port
  bin="$(postgres_bin)" || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  if [[ "$(id -u)" == 0 ]]; then id postgres > /dev/null 2>&1 || die "no 'postgres' user to own the test cluster (initdb refuses root)"; fi
  dir="$(mktemp -d -t opentsm-pg.XXXXXX)"
  on_exit "rm -rf '$dir'"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; fi
  as_pg_owner 60 "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --no-locale > "$LOG_DIR/initdb.log" 2>&1 ||
    { tail -20 "$LOG_DIR/initdb.log" >&2; die "initdb failed"; }
  port="$(free_port)" || die "could not find a free TCP port"
  on_exit "stop_postgres '$bin' '$dir'"
  as_pg_owner 45 "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start > "$LOG_DIR/pg_ctl.log" 2>&1 ||
    { tail -20 "$dir/postgres.log" "$LOG_DIR/pg_ctl.log" >&2 2> /dev/null; die "PostgreSQL did not start within 30 s"; }
  export OPENTSM_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  log "postgres: started ($("$bin/postgres" --version | awk '{ print $3 }'), $OPENTSM_PG_URL, data in $dir)"
}

stop_postgres() { # stop_postgres BIN DIR: fast shutdown, SIGKILL to the postmaster if that fails; keeps the log
  local bin=$1 dir=$2 pid
  if ! as_pg_owner 30 "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop > /dev/null 2>&1; then
    pid="$(head -1 "$dir/data/postmaster.pid" 2> /dev/null)" || pid=''
    if [[ "$pid" =~ ^[0-9]+$ ]]; then log "postgres (pid $pid) did not stop; killing it"; kill -9 "$pid" 2> /dev/null || true; fi
  fi
  cp "$dir/postgres.log" "$LOG_DIR/postgres.log" 2> /dev/null || true
}

stop_pid() { # stop_pid PID NAME: SIGTERM, then SIGKILL after 5 s
  local pid=$1 i
  kill "$pid" 2> /dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2> /dev/null || { wait "$pid" 2> /dev/null || true; return 0; }
    sleep 0.1
  done
  log "$2 (pid $pid) ignored SIGTERM; killing it"
  kill -9 "$pid" 2> /dev/null || true
}

main() {
  local started=$SECONDS
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 6) ? 0 : 1)' ||
    die "Node.js 20.6 or later is needed (found $(node --version))"
  install_packages
  build_pcsc_binding
  start_pcscd
  start_postgres
  log "set-up took $((SECONDS - started)) s; running test/services"
  local filters=("$@")
  [[ ${#filters[@]} -gt 0 ]] || filters=(test/services/)
  local status=0
  OPENTSM_SERVICES=1 timeout --kill-after=10 "${SERVICES_TEST_TIMEOUT:-300}" \
    node scripts/run-tests.mjs "${filters[@]}" || status=$?
  [[ "$status" == 124 ]] && log "the services tests timed out after ${SERVICES_TEST_TIMEOUT:-300} s"
  [[ "$status" == 0 ]] && FAILED=0
  return "$status"
}

main "$@"
