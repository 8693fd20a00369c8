# connect: Apache Iceberg's own Kafka Connect sink, for `npm run bench:connect` (Floe against the
# sink users switch from, on the same machine). A tool, no process: Kafka Connect's runtime
# (connect-runtime of the stack's Kafka version) and a plugin folder with iceberg-kafka-connect,
# iceberg-parquet (its pom brings no file format), iceberg-aws with the AWS bundle (S3FileIO),
# and hadoop-common, which Parquet's writer needs, trimmed with the exclusions Iceberg's own
# kafka-connect-runtime distribution uses. The bench starts ConnectStandalone itself.
source "$FLOE_ROOT/scripts/lib/maven-classpath.sh"
CONNECT_KAFKA_VERSION=4.1.2
CONNECT_ICEBERG_VERSION=1.10.1
CONNECT_HADOOP_VERSION=3.4.1
CONNECT_LOG4J_VERSION=2.24.3
connect_timeout=10

connect_home() { echo "$FLOE_CACHE/connect-$CONNECT_KAFKA_VERSION-iceberg-$CONNECT_ICEBERG_VERSION"; }

connect_installed() { [[ -f $(connect_home)/lib/.complete && -f $(connect_home)/plugins/iceberg/.complete ]]; }

connect_install() {
  connect_installed && return 0
  local home; home=$(connect_home)
  maven_classpath "connect-$CONNECT_KAFKA_VERSION" "$home/lib" \
    "org.apache.kafka:connect-runtime:$CONNECT_KAFKA_VERSION" \
    "org.apache.kafka:connect-json:$CONNECT_KAFKA_VERSION" \
    "org.apache.logging.log4j:log4j-slf4j-impl:$CONNECT_LOG4J_VERSION" \
    "org.apache.logging.log4j:log4j-core:$CONNECT_LOG4J_VERSION"
  [[ -f $home/plugins/iceberg/.complete ]] && return 0
  local work="$FLOE_CACHE/poms/connect-iceberg-$CONNECT_ICEBERG_VERSION" ex="" e
  mkdir -p "$work"
  for e in log4j:* org.slf4j:* ch.qos.reload4j:* org.apache.avro:avro com.google.guava:* com.google.protobuf:* \
    org.apache.curator:* org.apache.zookeeper:* org.apache.kerby:* org.apache.hadoop:hadoop-auth \
    org.apache.commons:commons-configuration2 org.apache.hadoop.thirdparty:hadoop-shaded-protobuf_3_7 \
    org.eclipse.jetty:* javax.activation:activation com.sun.jersey:* javax.servlet:* javax.servlet.jsp:* org.apache.kafka:*; do
    ex+="<exclusion><groupId>${e%%:*}</groupId><artifactId>${e#*:}</artifactId></exclusion>"
  done
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>floe.stack</groupId><artifactId>connect-iceberg</artifactId><version>1</version><packaging>pom</packaging><dependencies>
<dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-kafka-connect</artifactId><version>$CONNECT_ICEBERG_VERSION</version></dependency>
<dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-parquet</artifactId><version>$CONNECT_ICEBERG_VERSION</version></dependency>
<dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-aws</artifactId><version>$CONNECT_ICEBERG_VERSION</version></dependency>
<dependency><groupId>org.apache.iceberg</groupId><artifactId>iceberg-aws-bundle</artifactId><version>$CONNECT_ICEBERG_VERSION</version></dependency>
<dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-common</artifactId><version>$CONNECT_HADOOP_VERSION</version><exclusions>$ex</exclusions></dependency>
</dependencies></project>
POM
  log "connect: resolving Iceberg's Kafka Connect sink $CONNECT_ICEBERG_VERSION and its dependencies with Maven (first run only)"
  # Resolved beside, then moved: a half-built folder in plugin.path would be loaded as a second copy.
  rm -rf "$home/plugins/.iceberg.partial"
  mvn_run -f "$work/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$home/plugins/.iceberg.partial" -DincludeScope=runtime \
    -DexcludeArtifactIds=kafka-clients,connect-api,connect-json,connect-transforms,slf4j-api,slf4j-reload4j,slf4j-log4j12,log4j-slf4j-impl
  rm -rf "$home/plugins/iceberg"
  mv "$home/plugins/.iceberg.partial" "$home/plugins/iceberg"
  touch "$home/plugins/iceberg/.complete"
}

connect_start() { :; }

connect_ready() { connect_installed; }
