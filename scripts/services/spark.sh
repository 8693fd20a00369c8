# spark: a long-lived Spark SQL server for tests (scripts/py/spark_server.py): pyspark from the
# pyiceberg service's Python environment, the Iceberg Spark runtime and AWS bundle jars, an
# `iceberg` catalog on the REST catalog and the S3 store. Java 17.
ICEBERG_SPARK_VERSION=1.10.1
spark_timeout=240

spark_jars_dir() { echo "$FLOE_CACHE/spark-jars-$ICEBERG_SPARK_VERSION"; }

spark_install() {
  source "$FLOE_ROOT/scripts/services/pyiceberg.sh"
  pyiceberg_install
  local d; d=$(spark_jars_dir)
  [[ -f $d/.complete ]] && return 0
  log "spark: fetching the Iceberg Spark runtime and AWS bundle $ICEBERG_SPARK_VERSION (first run only)"
  maven_fetch "org.apache.iceberg:iceberg-spark-runtime-4.0_2.13:$ICEBERG_SPARK_VERSION" "$d"
  maven_fetch "org.apache.iceberg:iceberg-aws-bundle:$ICEBERG_SPARK_VERSION" "$d"
  touch "$d/.complete"
}

spark_start() {
  pid_alive rest || "$FLOE_ROOT/scripts/stack" up rest
  local jh d; jh=$(java_home_for 17) || die "spark: Java 17 or newer is needed"
  d=$(spark_jars_dir)
  # Spark 4.0 runs on Java 17 or 21; prefer the machine's default java when it is one of those.
  if java -version 2>&1 | grep -qE 'version "(17|21)'; then jh=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")"); fi
  JAVA_HOME="$jh" TZ=UTC FLOE_SPARK_JARS="$d/iceberg-spark-runtime-4.0_2.13-$ICEBERG_SPARK_VERSION.jar,$d/iceberg-aws-bundle-$ICEBERG_SPARK_VERSION.jar" \
    start_bg spark "$FLOE_PYTHON" "$FLOE_ROOT/scripts/py/spark_server.py"
}

# Ready when the server answers a query.
spark_ready() {
  "$FLOE_PYTHON" "$FLOE_ROOT/scripts/py/spark_query.py" "SELECT 1 AS one" >/dev/null 2>&1
}
