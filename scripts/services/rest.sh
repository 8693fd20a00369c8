# rest: Iceberg's REST catalog test server (iceberg-open-api, a runnable jar), a JDBC catalog on
# SQLite and S3FileIO against the s3 service. Strict about commit requirements, which is why
# Floe tests against it. Upstream's main binds every interface and has no host setting, so it is
# started through scripts/lib/LocalRestCatalogServer.java (compiled once into the cache), which
# serves the same catalog on 127.0.0.1 only; without a javac it falls back to upstream's main.
# The server reads only CATALOG_* variables: the port is CATALOG_REST_PORT (`rest.port`).
# One JDBC client (CATALOG_CLIENTS=1): with more, concurrent commits hit SQLITE_BUSY and answer 500.
ICEBERG_REST_VERSION=1.10.1
rest_timeout=90

rest_home() { echo "$FLOE_CACHE/iceberg-rest-$ICEBERG_REST_VERSION"; }
rest_jar() { echo "$(rest_home)/iceberg-open-api-$ICEBERG_REST_VERSION.jar"; }
rest_launcher_src() { echo "$FLOE_ROOT/scripts/lib/LocalRestCatalogServer.java"; }
# Keyed by the source's hash, so an edited launcher is recompiled.
rest_launcher_dir() { echo "$(rest_home)/launcher-$(sha1sum "$(rest_launcher_src)" | cut -c1-12)"; }

rest_install() {
  if [[ ! -f $(rest_jar) ]]; then
    log "rest: fetching iceberg-open-api $ICEBERG_REST_VERSION (first run only)"
    maven_fetch "org.apache.iceberg:iceberg-open-api:$ICEBERG_REST_VERSION" "$(rest_home)"
  fi
  local out; out=$(rest_launcher_dir)
  [[ -f $out/LocalRestCatalogServer.class ]] && return 0
  command -v javac >/dev/null || { log "rest: no javac; the server will listen on every interface"; return 0; }
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  javac -nowarn -cp "$(rest_jar)" -d "$out.tmp" "$(rest_launcher_src)" >&2
  mv "$out.tmp" "$out"
}

rest_start() {
  # The catalog writes to the warehouse bucket: the store must answer first.
  source "$FLOE_ROOT/scripts/services/s3.sh"
  s3_ready >/dev/null 2>&1 || "$FLOE_ROOT/scripts/stack" up s3
  require_free_ports rest "$FLOE_REST_PORT"
  local d main; d=$(svc_dir rest)
  mkdir -p "$d"
  main=(-jar "$(rest_jar)")
  [[ -f $(rest_launcher_dir)/LocalRestCatalogServer.class ]] && main=(-cp "$(rest_launcher_dir):$(rest_jar)" LocalRestCatalogServer)
  REST_HOST=127.0.0.1 \
  CATALOG_REST_PORT="$FLOE_REST_PORT" \
  CATALOG_WAREHOUSE="s3://$FLOE_S3_BUCKET/rest" \
  CATALOG_URI="jdbc:sqlite:file:$d/catalog.db" \
  CATALOG_JDBC_USER=user CATALOG_JDBC_PASSWORD=password CATALOG_CLIENTS=1 \
  CATALOG_IO__IMPL=org.apache.iceberg.aws.s3.S3FileIO \
  CATALOG_S3_ENDPOINT="http://127.0.0.1:$FLOE_S3_PORT" \
  CATALOG_S3_PATH__STYLE__ACCESS=true \
  CATALOG_S3_ACCESS__KEY__ID="$FLOE_S3_ACCESS_KEY" \
  CATALOG_S3_SECRET__ACCESS__KEY="$FLOE_S3_SECRET_KEY" \
  CATALOG_CLIENT_REGION="$FLOE_S3_REGION" \
  AWS_ACCESS_KEY_ID="$FLOE_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$FLOE_S3_SECRET_KEY" AWS_REGION="$FLOE_S3_REGION" \
    start_bg rest java -Xms128m -Xmx512m -XX:+UseSerialGC "${main[@]}"
}

# Ready when the config endpoint answers.
rest_ready() {
  curl -fsS -o /dev/null "http://127.0.0.1:$FLOE_REST_PORT/v1/config"
}
