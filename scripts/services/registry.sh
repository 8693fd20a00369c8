# registry: Apicurio Registry 3 (a Quarkus app) with its Confluent-compatible API under
# /apis/ccompat/v7, in-memory storage.
APICURIO_VERSION=3.3.3
registry_timeout=120

registry_home() { echo "$FLOE_CACHE/apicurio-$APICURIO_VERSION"; }

registry_install() {
  local home; home=$(registry_home)
  [[ -f $home/quarkus-run.jar ]] && return 0
  log "registry: fetching Apicurio Registry $APICURIO_VERSION (first run only)"
  maven_fetch "io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" "$FLOE_CACHE/dl"
  mkdir -p "$home.tmp"
  tar xzf "$FLOE_CACHE/dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$home.tmp"
  rm -f "$FLOE_CACHE/dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  mv "$home.tmp" "$home"
}

registry_start() {
  require_free_ports registry "$FLOE_REGISTRY_PORT" "$FLOE_REGISTRY_MGMT_PORT"
  # Apicurio 3.3 is compiled for Java 21: use the newer JDK beside the default one.
  local jh; jh=$(java_home_for 21) || die "registry: Apicurio $APICURIO_VERSION needs Java 21 or newer; install a JDK 21+ (e.g. Temurin 25)"
  # The management port defaults to 9000, the S3 store's port: move it.
  start_bg registry "$jh/bin/java" -Xms128m -Xmx512m -XX:+UseSerialGC \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$FLOE_REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$FLOE_REGISTRY_MGMT_PORT" \
    -Dapicurio.rest.deletion.group.enabled=true -Dapicurio.rest.deletion.artifact.enabled=true \
    -Dapicurio.rest.deletion.artifact-version.enabled=true \
    -Dquarkus.log.level=WARN -Dquarkus.banner.enabled=false \
    -jar "$(registry_home)/quarkus-run.jar"
}

# Ready when the Confluent-compatible API lists subjects.
registry_ready() {
  curl -fsS -o /dev/null "http://127.0.0.1:$FLOE_REGISTRY_PORT/apis/ccompat/v7/subjects"
}
