# trino: Trino 476 (the last release on Maven Central) with the Iceberg connector, an `iceberg`
# catalog on the REST catalog and the S3 store. Needs Java 24+ (the Temurin 25 JDK). Measured on
# 2 cores: answers queries 12-13 s after start on an idle machine, 25-33 s under load; the
# timeout below leaves room for a slower CI machine.
TRINO_VERSION=476
trino_timeout=240

trino_home() { echo "$FLOE_CACHE/trino-server-$TRINO_VERSION"; }

trino_install() {
  local home; home=$(trino_home)
  [[ -d $home/plugin/iceberg ]] && return 0
  log "trino: fetching Trino $TRINO_VERSION and its Iceberg plugin (first run only)"
  maven_fetch "io.trino:trino-server-core:$TRINO_VERSION:tar.gz" "$FLOE_CACHE/dl"
  maven_fetch "io.trino:trino-iceberg:$TRINO_VERSION:zip" "$FLOE_CACHE/dl"
  rm -rf "$home.tmp" && mkdir -p "$home.tmp"
  tar xzf "$FLOE_CACHE/dl/trino-server-core-$TRINO_VERSION.tar.gz" -C "$home.tmp" --strip-components=1
  (cd "$home.tmp/plugin" && unzip -q "$FLOE_CACHE/dl/trino-iceberg-$TRINO_VERSION.zip" && mv "trino-iceberg-$TRINO_VERSION" iceberg)
  rm -f "$FLOE_CACHE/dl/trino-server-core-$TRINO_VERSION.tar.gz" "$FLOE_CACHE/dl/trino-iceberg-$TRINO_VERSION.zip"
  mv "$home.tmp" "$home"
}

trino_start() {
  source "$FLOE_ROOT/scripts/lib/engines.sh"
  engine_needs_rest
  local jh d; jh=$(java_home_for 24) || die "trino: Trino $TRINO_VERSION needs Java 24 or newer; install a JDK 24+ (e.g. Temurin 25)"
  d=$(svc_dir trino)
  mkdir -p "$d/etc/catalog" "$d/data"
  rm -f "$d/etc/catalog/"*.properties
  cat >"$d/etc/node.properties" <<PROPS
node.environment=floe
node.id=floe-trino-1
node.data-dir=$d/data
node.bind-ip=127.0.0.1
node.internal-address=127.0.0.1
PROPS
  cat >"$d/etc/jvm.config" <<'PROPS'
-server
-Xmx2G
-XX:+UseG1GC
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-Djdk.attach.allowAttachSelf=true
-Dfile.encoding=UTF-8
--enable-native-access=ALL-UNNAMED
PROPS
  cat >"$d/etc/config.properties" <<PROPS
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$FLOE_TRINO_PORT
discovery.uri=http://127.0.0.1:$FLOE_TRINO_PORT
query.max-memory=1GB
query.max-memory-per-node=1GB
task.concurrency=2
# CREATE CATALOG at run time: the demo and tests point Trino at Floe's embedded catalog this way.
# Catalogs created that way live in etc/catalog until the next start, which clears them.
catalog.management=dynamic
PROPS
  cat >"$d/etc/log.properties" <<'PROPS'
io.trino=WARN
io.airlift=WARN
org.apache.iceberg=WARN
PROPS
  cat >"$d/etc/catalog/iceberg.properties" <<PROPS
connector.name=iceberg
iceberg.catalog.type=rest
iceberg.rest-catalog.uri=http://127.0.0.1:$FLOE_REST_PORT
fs.native-s3.enabled=true
s3.endpoint=http://127.0.0.1:$FLOE_S3_PORT
s3.path-style-access=true
s3.region=$FLOE_S3_REGION
s3.aws-access-key=$FLOE_S3_ACCESS_KEY
s3.aws-secret-key=$FLOE_S3_SECRET_KEY
PROPS
  # The launcher refuses to start while its own pid file names a live process, and a just-stopped
  # server can linger as a zombie for a moment; scripts/stack's pid file is the one that counts.
  rm -f "$d/data/var/run/launcher.pid"
  JAVA_HOME="$jh" PATH="$jh/bin:$PATH" engine_start_locked trino "$(trino_home)/bin/launcher" run \
    --etc-dir "$d/etc" --data-dir "$d/data" --node-config "$d/etc/node.properties" \
    --jvm-config "$d/etc/jvm.config" --config "$d/etc/config.properties" --log-levels-file "$d/etc/log.properties"
}

# Ready when a real query through the HTTP protocol returns rows, and, while the REST catalog is
# up, when the iceberg catalog answers too (its first use loads the connector's classes).
trino_ready() {
  node "$FLOE_ROOT/scripts/lib/trino-query.mjs" "SELECT 1" >/dev/null || return 1
  curl -fsS -o /dev/null "http://127.0.0.1:$FLOE_REST_PORT/v1/config" 2>/dev/null || return 0
  node "$FLOE_ROOT/scripts/lib/trino-query.mjs" "SHOW SCHEMAS FROM iceberg" >/dev/null
}
