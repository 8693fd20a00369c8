# kafka: Apache Kafka in KRaft mode, one node acting as broker and controller.
source "$FLOE_ROOT/scripts/lib/maven-classpath.sh"
KAFKA_VERSION=4.1.2
LOG4J_VERSION=2.24.3
kafka_timeout=120

kafka_lib() { echo "$FLOE_CACHE/kafka-$KAFKA_VERSION/lib"; }

kafka_install() {
  maven_classpath "kafka-$KAFKA_VERSION" "$(kafka_lib)" \
    "org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
    "org.apache.logging.log4j:log4j-slf4j-impl:$LOG4J_VERSION" \
    "org.apache.logging.log4j:log4j-core:$LOG4J_VERSION"
}

# kafka_cmd ARGS...: the java command line for one of Kafka's main classes, as an array in KAFKA_CMD
# (start_bg needs a program, not a shell function).
kafka_cmd() {
  KAFKA_CMD=(java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$(svc_dir kafka)/log4j2.properties" -cp "$(kafka_lib)/*" "$@")
}

kafka_start() {
  require_free_ports kafka "$FLOE_KAFKA_PORT" "$FLOE_KAFKA_CONTROLLER_PORT"
  local d; d=$(svc_dir kafka)
  mkdir -p "$d/data"
  cat >"$d/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$FLOE_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$FLOE_KAFKA_PORT,CONTROLLER://127.0.0.1:$FLOE_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$FLOE_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=268435456
PROPS
  cat >"$d/log4j2.properties" <<'PROPS'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRefs = err
rootLogger.appenderRef.err.ref = STDERR
logger.kafka.name = kafka
logger.kafka.level = info
PROPS
  if [[ ! -f $d/data/meta.properties ]]; then
    local id
    kafka_cmd kafka.tools.StorageTool random-uuid
    id=$("${KAFKA_CMD[@]}" 2>/dev/null | tail -n1)
    [[ -n $id ]] || die "kafka: StorageTool random-uuid printed nothing"
    kafka_cmd kafka.tools.StorageTool format -t "$id" -c "$d/server.properties" --ignore-formatted
    "${KAFKA_CMD[@]}" >&2
  fi
  kafka_cmd kafka.Kafka "$d/server.properties"
  start_bg kafka "${KAFKA_CMD[@]}"
}

# Ready when the broker answers a metadata request through the admin API.
kafka_ready() {
  node "$FLOE_ROOT/scripts/lib/kafka-ready.mjs"
}
