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

# pid_alive SERVICE: true when the service's pid file names a live process.
pid_alive() {
  local f; f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  local pid; pid=$(cat "$f")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# start_bg SERVICE CMD...: runs CMD detached in its own process group, logs to the service log,
# records its pid. The process group lets `stop_pid` take down children too.
start_bg() {
  local name=$1; shift
  mkdir -p "$(svc_dir "$name")"
  local lf; lf=$(log_file "$name")
  : >"$lf"
  setsid "$@" >>"$lf" 2>&1 < /dev/null &
  echo $! >"$(pid_file "$name")"
}

# stop_pid SERVICE: TERM the process group, wait up to 20 s, then KILL. Removes the pid file.
stop_pid() {
  local name=$1 f pid
  f=$(pid_file "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
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

# maven_fetch GROUP:ARTIFACT:VERSION[:TYPE[:CLASSIFIER]] DEST_DIR: downloads one artifact (no
# transitive deps) through Maven into the cache and copies it to DEST_DIR.
maven_fetch() {
  local coord=$1 dest=$2
  mkdir -p "$dest"
  mvn -q -B -Dmaven.repo.local="$FLOE_CACHE/m2" dependency:copy -Dartifact="$coord" -DoutputDirectory="$dest" -Dmdep.useBaseVersion=true >&2
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
