# Shared helpers for scripts/stack and the service files in scripts/services/.
# Sourced, not run. Everything here is plain bash + coreutils + curl + java/python/go as needed.

set -euo pipefail

FLOE_ROOT="${FLOE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# Downloads and built tools live outside the repo so that reruns are fast.
FLOE_CACHE="${FLOE_CACHE:-$HOME/.cache/floe}"
# Run state (pid files, logs, data dirs) of the services this checkout started.
FLOE_STATE="${FLOE_STATE:-$FLOE_ROOT/.stack}"

# Ports (override by environment).
: "${FLOE_KAFKA_PORT:=9092}"
: "${FLOE_KAFKA_CONTROLLER_PORT:=9093}"
: "${FLOE_REGISTRY_PORT:=8081}"
: "${FLOE_REGISTRY_MGMT_PORT:=9101}"
: "${FLOE_REST_PORT:=8181}"
: "${FLOE_S3_PORT:=9000}"
: "${FLOE_TRINO_PORT:=8080}"
: "${FLOE_SPARK_PORT:=15002}"
: "${FLOE_POSTGRES_PORT:=5432}"

# S3 credentials and bucket used by every service and test.
: "${FLOE_S3_ACCESS_KEY:=floe}"
: "${FLOE_S3_SECRET_KEY:=floe-secret-key}"
: "${FLOE_S3_REGION:=us-east-1}"
: "${FLOE_S3_BUCKET:=warehouse}"
# The Python environment of the pyiceberg service (PyIceberg, pyarrow, pyspark).
: "${FLOE_PYTHON:=$FLOE_CACHE/py/bin/python}"
export FLOE_ROOT FLOE_CACHE FLOE_STATE FLOE_KAFKA_PORT FLOE_KAFKA_CONTROLLER_PORT FLOE_REGISTRY_PORT \
  FLOE_REGISTRY_MGMT_PORT FLOE_REST_PORT FLOE_S3_PORT FLOE_TRINO_PORT FLOE_SPARK_PORT FLOE_POSTGRES_PORT \
  FLOE_S3_ACCESS_KEY FLOE_S3_SECRET_KEY FLOE_S3_REGION FLOE_S3_BUCKET FLOE_PYTHON

mkdir -p "$FLOE_CACHE" "$FLOE_STATE"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

svc_dir() { echo "$FLOE_STATE/$1"; }
pid_file() { echo "$FLOE_STATE/$1/pid"; }
log_file() { echo "$FLOE_STATE/$1/log"; }

# proc_start PID: the process's start time (clock ticks since boot), which tells a live service
# from an unrelated process that reused its pid after a crash or reboot. Fails for a zombie: on
# machines whose init does not reap orphans, a dead service lingers as one.
proc_start() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  [[ $1 != Z && $1 != X ]] || return 1
  echo "${20}"
}

# pid_alive SERVICE: true when the service's pid file names a live process, and it is the process
# start_bg started (same start time), not a later one that got the same pid.
pid_alive() {
  local f; f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  local pid start; pid=$(cat "$f")
  [[ -n $pid ]] && start=$(proc_start "$pid") || return 1
  [[ ! -f $f.start || $start == "$(cat "$f.start")" ]]
}

# start_bg SERVICE CMD...: runs CMD detached in its own process group, logs to the service log,
# records its pid (and start time). The process group lets `stop_pid` take down children too.
start_bg() {
  local name=$1; shift
  mkdir -p "$(svc_dir "$name")"
  local lf pf; lf=$(log_file "$name"); pf=$(pid_file "$name")
  : >"$lf"
  rm -f "$pf.start"
  setsid "$@" >>"$lf" 2>&1 < /dev/null &
  echo $! >"$pf"
  proc_start $! >"$pf.start" 2>/dev/null || rm -f "$pf.start"
}

# group_alive PGID: true while any process of the group lives (zombies do not count).
group_alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }

# stop_pid SERVICE: TERM the process group, wait up to 20 s for every member to exit, then KILL
# what is left. A stale pid file (dead process, or a pid now used by something else) is only
# removed. Removes the pid file.
stop_pid() {
  local name=$1 f pid
  f=$(pid_file "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if [[ -n $pid ]] && pid_alive "$name"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do group_alive "$pid" || break; sleep 0.2; done
    if group_alive "$pid"; then
      log "$name: still running 20 s after TERM, killing process group $pid"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do group_alive "$pid" || break; sleep 0.2; done
    fi
  fi
  rm -f "$f" "$f.start"
}

# port_listening PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_free_ports SERVICE PORT...: fails, naming the listener when ss can tell, if a port is
# taken. Called before a start, so that a service of another checkout (or a leftover) on the
# same port is not mistaken for ours by the readiness probe.
require_free_ports() {
  local name=$1 p who; shift
  for p in "$@"; do
    port_listening "$p" || continue
    who=$(ss -ltnpH "sport = :$p" 2>/dev/null | grep -o 'users:.*' | head -n1 || true)
    die "$name: port $p is already in use${who:+ ($who)}; stop that process, or choose another port (see scripts/lib/common.sh)"
  done
}

# wait_until SERVICE TIMEOUT_S CMD...: polls CMD until it succeeds; fails (showing the log tail)
# on timeout or when the service process died.
wait_until() {
  local name=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -f $(pid_file "$name") ]] && ! pid_alive "$name"; then
      log "$name exited during start; last log lines:"; tail -n 40 "$(log_file "$name")" >&2 || true
      return 1
    fi
    sleep 1
  done
  log "$name not ready after ${timeout}s; last log lines:"; tail -n 40 "$(log_file "$name")" >&2 || true
  return 1
}

# mvn_run ARGS...: quiet batch Maven on the cache's local repository, its output (errors only,
# which Maven prints on stdout) on stderr without the colour codes Debian's Maven 3.8 still emits.
mvn_run() {
  mvn -q -B -Dmaven.repo.local="$FLOE_CACHE/m2" "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
}

# maven_fetch GROUP:ARTIFACT:VERSION[:TYPE[:CLASSIFIER]] DEST_DIR: downloads one artifact (no
# transitive deps) through Maven into the cache and copies it to DEST_DIR.
maven_fetch() {
  local coord=$1 dest=$2
  mkdir -p "$dest"
  mvn_run org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy -Dartifact="$coord" -DoutputDirectory="$dest" -Dmdep.useBaseVersion=true
}

# java_home_for MAJOR: prints a JAVA_HOME with at least that major version, or fails.
java_home_for() {
  local want=$1 d v
  for d in ${JAVA_HOME:-} /usr/lib/jvm/* /opt/java/* /opt/*jdk* /usr/local/*jdk*; do
    [[ -x $d/bin/java ]] || continue
    v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
    if [[ -n $v && ${v%%.*} -ge $want ]]; then echo "$d"; return 0; fi
  done
  return 1
}
