# postgres: Debian's PostgreSQL server, a private cluster of this checkout (not the system
# service), for the embedded catalog's production store. Database and user `floe`.
postgres_timeout=60

postgres_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && { echo "$d"; return 0; }; done
  return 1
}

postgres_install() {
  postgres_bindir >/dev/null && return 0
  log "postgres: installing Debian's postgresql (first run only)"
  local sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  postgres_bindir >/dev/null || die "postgres: no initdb after installing postgresql"
}

# The server refuses to run as root: run it as the `postgres` user when we are root.
postgres_as() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_start() {
  require_free_ports postgres "$FLOE_POSTGRES_PORT"
  local d bin; d=$(svc_dir postgres); bin=$(postgres_bindir)
  mkdir -p "$d"
  [[ $(id -u) -eq 0 ]] && chown postgres "$d"
  if [[ ! -f $d/data/PG_VERSION ]]; then
    postgres_as "$bin/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 >"$d/initdb.log" 2>&1 \
      || { cat "$d/initdb.log" >&2; die "postgres: initdb failed"; }
  fi
  local as=(); [[ $(id -u) -eq 0 ]] && as=(runuser -u postgres --)
  start_bg postgres "${as[@]}" "$bin/postgres" -D "$d/data" -h 127.0.0.1 -p "$FLOE_POSTGRES_PORT" \
    -k "$d" -c max_connections=100 -c shared_buffers=128MB
}

# Fast shutdown (SIGTERM alone would wait for every client to disconnect).
postgres_stop() {
  local d; d=$(svc_dir postgres)
  if pid_alive postgres && [[ -f $d/data/PG_VERSION ]]; then
    postgres_as "$(postgres_bindir)/pg_ctl" -D "$d/data" stop -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  stop_pid postgres
}

# Ready when the floe database answers a query (it is created on first readiness).
postgres_ready() {
  local psql; psql="$(postgres_bindir)/psql"
  "$psql" -h 127.0.0.1 -p "$FLOE_POSTGRES_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null || return 1
  if ! "$psql" -h 127.0.0.1 -p "$FLOE_POSTGRES_PORT" -U postgres -d postgres -Atqc "select 1 from pg_database where datname='floe'" | grep -q 1; then
    "$psql" -h 127.0.0.1 -p "$FLOE_POSTGRES_PORT" -U postgres -d postgres -qc "create user floe password 'floe'" >/dev/null 2>&1 || true
    "$psql" -h 127.0.0.1 -p "$FLOE_POSTGRES_PORT" -U postgres -d postgres -qc "create database floe owner floe" >/dev/null || return 1
  fi
  "$psql" -h 127.0.0.1 -p "$FLOE_POSTGRES_PORT" -U floe -d floe -Atqc 'select 1' >/dev/null
}
