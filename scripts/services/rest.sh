# rest: Iceberg's REST catalog test server (iceberg-open-api, a runnable jar), a JDBC catalog on
# SQLite and S3FileIO against the s3 service. Strict about commit requirements, which is why
# Floe tests against it. Note: this server has no bind-address setting; it listens on all
# interfaces (the port is still only used from 127.0.0.1 by the tests). One JDBC client
# (CATALOG_CLIENTS=1): with more, concurrent commits hit SQLITE_BUSY and answer 500.
ICEBERG_REST_VERSION=1.10.1
rest_timeout=90

rest_jar() { echo "$FLOE_CACHE/iceberg-rest-$ICEBERG_REST_VERSION/iceberg-open-api-$ICEBERG_REST_VERSION.jar"; }

rest_install() {
  [[ -f $(rest_jar) ]] && return 0
  log "rest: fetching iceberg-open-api $ICEBERG_REST_VERSION (first run only)"
  maven_fetch "org.apache.iceberg:iceberg-open-api:$ICEBERG_REST_VERSION" "$(dirname "$(rest_jar)")"
}

rest_start() {
  # The catalog writes to the warehouse bucket: the store must be up first.
  pid_alive s3 || "$FLOE_ROOT/scripts/stack" up s3
  local d; d=$(svc_dir rest)
  mkdir -p "$d"
  REST_PORT="$FLOE_REST_PORT" \
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
    start_bg rest java -Xms128m -Xmx512m -XX:+UseSerialGC -jar "$(rest_jar)"
}

# Ready when the config endpoint answers.
rest_ready() {
  curl -fsS -o /dev/null "http://127.0.0.1:$FLOE_REST_PORT/v1/config"
}
