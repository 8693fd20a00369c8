# s3: versitygw, an S3-compatible gateway over a POSIX directory, built from the Go module proxy
# (v1.8.0 is the newest v1 there). Every Go directory, the build cache included, lives under
# $FLOE_CACHE/go, so a cold cache really is cold and the user's own Go setup is left alone.
VERSITYGW_VERSION=v1.8.0
s3_timeout=60

s3_bin() { echo "$FLOE_CACHE/go/bin/versitygw"; }

s3_install() {
  [[ -x $(s3_bin) ]] && [[ $(cat "$FLOE_CACHE/go/bin/.versitygw-version" 2>/dev/null) == "$VERSITYGW_VERSION" ]] && return 0
  command -v go >/dev/null || die "s3: Go is needed to build versitygw (go install)"
  log "s3: building versitygw $VERSITYGW_VERSION (first run only)"
  mkdir -p "$FLOE_CACHE/go/bin"
  GOPATH="$FLOE_CACHE/go" GOBIN="$FLOE_CACHE/go/bin" GOMODCACHE="$FLOE_CACHE/go/mod" GOCACHE="$FLOE_CACHE/go/build" \
    GOFLAGS=-modcacherw \
    go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
  echo "$VERSITYGW_VERSION" >"$FLOE_CACHE/go/bin/.versitygw-version"
  # The build cache (~430 MB) only speeds up a rebuild; the module cache stays for a version bump.
  rm -rf "$FLOE_CACHE/go/build"
}

s3_start() {
  require_free_ports s3 "$FLOE_S3_PORT"
  local d; d=$(svc_dir s3)
  mkdir -p "$d/data" "$d/meta"
  ROOT_ACCESS_KEY="$FLOE_S3_ACCESS_KEY" ROOT_SECRET_KEY="$FLOE_S3_SECRET_KEY" \
    start_bg s3 "$(s3_bin)" --port "127.0.0.1:$FLOE_S3_PORT" --region "$FLOE_S3_REGION" posix --sidecar "$d/meta" "$d/data"
}

# Ready when an authenticated request works and the warehouse bucket exists (created here).
s3_ready() {
  node "$FLOE_ROOT/scripts/lib/s3-bucket.mjs" "$FLOE_S3_BUCKET"
}
