# spark: a long-lived Spark SQL server for tests (scripts/py/spark_server.py): pyspark from the
# pyiceberg service's Python environment, the Iceberg Spark runtime and AWS bundle jars, an
# `iceberg` catalog on the REST catalog and the S3 store. Java 17 or 21, local[2], -Xmx2g.
# Measured on 2 cores (bench/engines.ts): this server starts in 8-30 s (machine idle to loaded)
# and answers small queries in 50-250 ms, as fast as a Spark Connect server (which would also
# need grpcio and pandas in the environment); one short-lived `spark-sql -e` job per query took
# 9-40 s.
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

# spark_java_home: a JDK that Spark 4.0 supports (17 or 21): the default java first, then the
# usual install folders. java_home_for would also accept the newer JDK that Trino needs.
spark_java_home() {
  local d v
  for d in ${JAVA_HOME:-} "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /usr/lib/jvm/* /opt/java/* /opt/*jdk* /usr/local/*jdk*; do
    [[ -x $d/bin/java ]] || continue
    v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
    if [[ $v == 17 || $v == 21 ]]; then echo "$d"; return 0; fi
  done
  return 1
}

spark_start() {
  source "$FLOE_ROOT/scripts/lib/engines.sh"
  engine_needs_rest
  local jh d; jh=$(spark_java_home) || die "spark: Spark 4.0 needs Java 17 or 21 (newer ones are not supported)"
  d=$(spark_jars_dir)
  JAVA_HOME="$jh" TZ=UTC FLOE_SPARK_JARS="$d/iceberg-spark-runtime-4.0_2.13-$ICEBERG_SPARK_VERSION.jar,$d/iceberg-aws-bundle-$ICEBERG_SPARK_VERSION.jar" \
    engine_start_locked spark "$FLOE_PYTHON" "$FLOE_ROOT/scripts/py/spark_server.py"
}

# Ready when the server answers a query.
spark_ready() {
  "$FLOE_PYTHON" "$FLOE_ROOT/scripts/py/spark_query.py" "SELECT 1 AS one" >/dev/null 2>&1
}
