# Shared by scripts/services/{trino,spark}.sh. Sourced, not run.
#
# Trino and Spark each spend their first ~20 s compiling and loading classes on every core;
# started at the same moment on a 2-core machine (CI) both take several times longer and their
# readiness polls time out. So an engine starts only under one machine-wide lock, and holds it
# until it answers queries. The lock lives in $FLOE_CACHE, shared by every checkout of this user.

# engine_needs_rest: the engines' `iceberg` catalog points at the REST server; start it (and the
# object store) first, outside the engine lock, unless something already answers on its port.
engine_needs_rest() {
  source "$FLOE_ROOT/scripts/services/rest.sh"
  rest_ready >/dev/null 2>&1 || "$FLOE_ROOT/scripts/stack" up rest
}

# engine_start_locked NAME CMD...: waits for the engine lock (up to 15 min), then, unless NAME
# already answers (another process started it while this one waited), starts CMD with start_bg
# and waits until NAME_ready succeeds or NAME_timeout passes. The lock's descriptor is closed for
# the started process, so it does not keep the lock after this function returns.
engine_start_locked() {
  local name=$1; shift
  local lock="$FLOE_CACHE/engine-start.lock" fd waited=$SECONDS t="${name}_timeout"
  exec {fd}>"$lock"
  if ! flock -n "$fd"; then
    log "$name: waiting for another engine to finish starting"
    flock -w 900 "$fd" || die "$name: another engine held the start lock for 15 min"
    log "$name: waited $((SECONDS - waited))s for the start lock"
  fi
  if "${name}_ready" >/dev/null 2>&1; then
    exec {fd}>&-
    return 0
  fi
  local t0=$SECONDS rc=0
  start_bg "$name" "$@" {fd}>&-
  wait_until "$name" "${!t:-120}" "${name}_ready" || rc=1
  exec {fd}>&-
  ((rc == 0)) || die "$name did not become ready (log: $(log_file "$name"))"
  log "$name answered queries $((SECONDS - t0))s after start"
}
