/**
 * The sink: wires consumer, decoders, table sinks and commits for every mapping. The only place
 * that knows all stages. Exactly-once per DESIGN §2: resume from the tables on every assignment,
 * skip what a table has, commit each table's batch fenced by contiguity, re-seek from the tables
 * after a fence or a whole-service error, and commit group offsets only as a hint.
 */
import type { Kafka } from 'kafkajs';
import { FloeError, isFloeError, describeError } from '../errors.js';
import { mappingTables, type FloeConfig } from '../config/index.js';
import { ConsumedPositions, planResume, tpKey } from '../commit/index.js';
import type { RegistryClient } from '../decode/registry.js';
import type { DecodedRecord, Decoder } from '../decode/decoder.js';
import { parseIdent, type TableOps } from '../iceberg/index.js';
import { defaultEncoderThreads, sharedEncoderBytes } from '../parquet/index.js';
import type { FileIO } from '../io/file-io.js';
import { FloeConsumer, topicOffsets, type KafkaRecord, type TopicPartition } from '../kafka/consumer.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { buildSpec, specDifference, specToJson } from '../spec/partition.js';
import { schemaToJson } from '../spec/schema.js';
import { currentSchema, defaultSpec } from '../spec/metadata.js';
import type { Schema, Value } from '../spec/types.js';
import { DEAD_LETTER_SCHEMA, DeadLetterTopics, deadLetterMessage, deadLetterRow } from './dead-letter.js';
import { Lock } from './lock.js';
import { buildMapping, checkRollupWithRegistry, mappingPartitioning, propertyDifferences, withKafkaColumns, type Mapping } from './mapping.js';
import { TableSink } from './table-sink.js';
import { RollupAggregator, rollupViewRequest, type RollupPlan } from '../rollup/index.js';
import { evolveSchema } from '../spec/evolve.js';
import { planUpsert, upsertTableSchema, UpsertBuffer } from '../upsert/index.js';
import type { UpsertConfig } from '../config/mapping.js';

/**
 * Table properties of the tables Floe creates, before the mapping's own `tableProperties`. A sink
 * commits every few seconds: without these, every commit's metadata file stays in storage for
 * ever (the catalog keeps the newest 100 in the metadata log and deletes the rest).
 */
const TABLE_DEFAULTS = {
  'write.metadata.delete-after-commit.enabled': 'true',
  'write.metadata.previous-versions-max': '100',
};

export interface PipelineDeps {
  config: FloeConfig;
  kafka: Kafka;
  ops: TableOps;
  io: FileIO;
  registry: RegistryClient | undefined;
  log: Logger;
  metrics: Metrics;
}

export class Pipeline {
  private readonly mappings: Mapping[];
  private readonly sinks = new Map<string, TableSink>();
  private readonly positions = new ConsumedPositions();
  private readonly lock = new Lock();
  /** Dead letters bound for topics, flushed before each fetch's batch lock is let go. */
  private readonly dlqTopics = new DeadLetterTopics(() => this.d.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
  private readonly converters = new Map<string, (v: unknown) => { [k: string]: Value }>();
  private readonly consumer: FloeConsumer;
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private lastTick = 0;
  private stopped = false;
  private outageUntil = 0;
  /** Commit rounds failed in a row (catalog or store unavailable): the pause after each doubles. */
  private failedRounds = 0;
  ready = false;
  lastError: string | undefined;

  constructor(private readonly d: PipelineDeps) {
    const decoders = new Map<string, Decoder>();
    this.mappings = d.config.mappings.map((m, i) => buildMapping(m, d.config, d.registry, i, decoders));
    // A rollup table holds partial aggregates only, an upsert table one row per key: no other
    // mapping may write rows into either.
    this.mappings.forEach((m, i) => {
      if (m.cfg.mode === 'append') return;
      this.mappings.forEach((o, j) => {
        if (j !== i && o.tables.includes(m.cfg.table)) throw new FloeError('CONFIG_INVALID', `${o.key}: writes to ${m.cfg.table}, which is the ${m.cfg.mode} table of ${m.key}; give each ${m.cfg.mode} mapping its own table`);
      });
    });
    for (const m of this.mappings) for (const t of m.tables) this.sink(t);
    this.consumer = new FloeConsumer(d.kafka, { ...d.config.kafka }, {
      onAssign: (parts) => this.onAssign(parts),
      onBatch: (records, hb) => this.onBatch(records, hb),
      onCrash: (err) => {
        this.lastError = describeError(err);
        d.log.error({ err }, 'the Kafka consumer crashed');
      },
    }, d.log.child({ component: 'kafka' }));
  }

  private sink(name: string): TableSink {
    let s = this.sinks.get(name);
    if (!s) {
      s = new TableSink(name, parseIdent(name), {
        ops: this.d.ops,
        io: this.d.io,
        group: this.d.config.kafka.groupId,
        writer: {
          targetFileBytes: this.d.config.writer.targetFileSize,
          compression: this.d.config.writer.compression,
          rowGroupRows: this.d.config.writer.rowGroupSize,
          rowGroupBytes: rowGroupBytesFor(this.d.config.memoryLimit, defaultEncoderThreads()),
        },
        log: this.d.log.child({ component: 'commit', table: name }),
        metrics: this.d.metrics,
      });
      this.sinks.set(name, s);
    }
    return s;
  }

  async start(): Promise<void> {
    await this.checkRollups();
    const topics = this.mappings.flatMap((m): Array<string | RegExp> => m.cfg.topics ?? [m.cfg.topicPattern as RegExp]);
    await this.ensureDeadLetterTopics();
    // The commit check runs several times per interval: a timer with the interval's own period
    // fires a hair early now and then, finds the interval not yet over, and the commit waits a
    // whole second period (freshness p99 twice the interval).
    let lagAt = 0;
    this.timer = setInterval(() => {
      const now = Date.now();
      if (now - lagAt >= 1000) {
        lagAt = now;
        this.updateLag();
      }
      void this.tick(false);
    }, Math.max(50, Math.min(250, this.d.config.commit.interval / 4)));
    await this.consumer.start({ topics, fromBeginning: this.d.config.kafka.autoOffsetReset === 'earliest' });
  }

  /**
   * Refuses at start a rollup that does not fit its topics' value schema: the declared one was
   * checked when the mapping was built; for registry formats the latest `<topic>-value` schema
   * is checked here when the subject exists (otherwise at the first record).
   */
  private async checkRollups(): Promise<void> {
    for (const m of this.mappings) await checkRollupWithRegistry(m, this.d.registry);
  }

  private tablesOf(topic: string): string[] {
    return [...new Set(this.mappings.filter((m) => m.matches(topic)).flatMap((m) => m.tables))];
  }

  /** Rule 1, on every new assignment (and after a fence or an outage): resume from the tables. */
  private async onAssign(parts: TopicPartition[]): Promise<Array<TopicPartition & { offset: number }>> {
    return this.lock.run(async () => {
      this.ready = false;
      await this.committing?.catch(() => undefined);
      for (const s of this.sinks.values()) await s.discard();
      const topics = [...new Set(parts.map((p) => p.topic))];
      const names = new Set(topics.flatMap((t) => this.tablesOf(t)));
      for (const name of names) {
        const s = this.sink(name);
        try {
          s.loaded = await this.d.ops.catalog.loadTable(s.ident);
          for (const m of this.mappings) if (mappingTables(m.cfg).includes(name)) this.checkTableShape(s, m);
        } catch (err) {
          if (!isFloeError(err, 'NOT_FOUND')) throw err;
          s.loaded = undefined;
        }
        s.fenced = false;
      }
      const offsets = topics.length ? await topicOffsets(this.d.kafka, topics, this.d.config.kafka.groupId) : new Map();
      const at = (t: string, p: number) => offsets.get(`${t}\u0000${p}`);
      const plan = planResume({
        partitions: parts,
        tables: new Map([...names].map((n) => [n, this.sink(n).stored()])),
        tablesOf: (t) => this.tablesOf(t),
        groupOffset: (t, p) => at(t, p)?.group,
        logStart: (t, p) => at(t, p)?.low ?? 0,
        logEnd: (t, p) => at(t, p)?.high ?? 0,
        reset: this.d.config.kafka.autoOffsetReset,
      });
      for (const tr of plan.truncated) {
        this.d.metrics.offsetsTruncated.inc({ table: tr.table, topic: tr.topic, partition: String(tr.partition) });
        this.d.log.error(tr, `table ${tr.table} stored offset ${tr.stored} of ${tr.topic}[${tr.partition}] is below the log start ${tr.logStart}: retention deleted records the table never got; going on from the log start`);
      }
      this.positions.assign(plan.seek);
      // Partitions this member no longer owns must not keep reporting a lag.
      this.d.metrics.lag.reset();
      for (const [name, s] of this.sinks) s.cursor.reset(plan.starts.get(name));
      this.ready = true;
      this.d.log.info({ partitions: parts.length, tables: names.size }, 'assigned: resuming from the offsets stored in the tables');
      return [...plan.seek].map(([k, offset]) => {
        const i = k.lastIndexOf('\u0000');
        return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset };
      });
    });
  }

  private readonly byTopic = new Map<string, Mapping[]>();

  private mappingsOf(topic: string): Mapping[] {
    let ms = this.byTopic.get(topic);
    if (!ms) this.byTopic.set(topic, (ms = this.mappings.filter((m) => m.matches(topic))));
    return ms;
  }

  private async onBatch(records: KafkaRecord[], heartbeat: () => Promise<void>): Promise<void> {
    if (this.stopped) return;
    await this.lock.run(async () => {
      let n = 0;
      let bytes = 0;
      // A heartbeat that fails means this member may have lost its partitions (session timeout,
      // rebalance): kafkajs rejoins and the join re-plans from the tables.
      let groupError: unknown;
      const beat = () => heartbeat().catch((err: unknown) => Promise.reject((groupError = err ?? new Error('heartbeat failed'))));
      try {
        // A fetch's records are of one partition: its key is made once, not per record.
        let key = '';
        let keyTopic: string | undefined;
        let keyPartition = -1;
        for (const r of records) {
          if (r.partition !== keyPartition || r.topic !== keyTopic) {
            keyTopic = r.topic;
            keyPartition = r.partition;
            key = tpKey(r.topic, r.partition);
          }
          if (!this.positions.consumed(key, r.offset)) continue;
          n++;
          bytes += r.size;
          for (const m of this.mappingsOf(r.topic)) {
            const p = this.process(m, r, key);
            if (p) await p;
          }
          if ((n & 2047) === 0) await beat();
        }
        // Dead letters for topics are acknowledged before the lock is let go, so that no batch
        // cut covers an offset whose dead letter the broker does not have.
        await this.dlqTopics.flush();
      } catch (err) {
        this.dlqTopics.clear();
        if (groupError !== undefined) {
          // What this fetch buffered may be another member's by now: nothing is cut until the
          // rejoin's onAssign discards the open batches and re-plans (a batch cut earlier is
          // still fenced by contiguity). No outage pause: this is not a service fault. Should
          // no rejoin come, re-plan after a session timeout.
          this.positions.assign(new Map());
          this.ready = false;
          this.d.log.warn({ err: describeError(groupError) }, 'heartbeat failed while processing a fetch (session timeout or rebalance): dropping it, the rejoin re-plans from the tables');
          setTimeout(() => {
            if (!this.ready && !this.stopped) this.consumer.replan();
          }, this.d.config.kafka.sessionTimeout).unref();
          throw groupError;
        }
        // A whole-service fault (catalog, store or registry unavailable): nothing may be
        // skipped, so drop everything buffered and resume from the tables after a pause.
        this.lastError = describeError(err);
        this.d.log.error({ err: describeError(err) }, isFloeError(err, 'CONFIG_INVALID') ? 'processing stopped: the config does not fit the records; fix it and restart (retrying after a pause)' : 'processing stopped by a service error; re-reading from the tables after a pause');
        this.outageUntil = Date.now() + 5000;
        this.positions.assign(new Map());
        setTimeout(() => this.consumer.replan(), 5000);
        return;
      } finally {
        const topic = records[0]?.topic ?? '';
        this.d.metrics.recordsIn.inc({ topic }, n);
        this.d.metrics.bytesIn.inc({ topic }, bytes);
      }
    });
    this.checkPressure();
  }

  /** The last record decoded, so that mappings sharing a decoder (fan-out) decode it once (fields, not an object per record). */
  private memoRecord: KafkaRecord | undefined;
  private memoDecoder: Decoder | undefined;
  private memoDecoded: DecodedRecord | undefined;

  /** One record for one mapping; synchronous unless a schema, a table or a flush must be awaited. */
  private process(m: Mapping, r: KafkaRecord, key: string): Promise<void> | void {
    let decoded: DecodedRecord | undefined;
    if (this.memoRecord === r && this.memoDecoder === m.decoder) return this.toTable(m, r, key, this.memoDecoded as DecodedRecord);
    try {
      decoded = m.decoder.decodeCached(r.value, () => where(r));
    } catch (err) {
      return this.deadLetter(m, r, key, err, m.cfg.table);
    }
    if (decoded) {
      this.memoRecord = r;
      this.memoDecoder = m.decoder;
      this.memoDecoded = decoded;
      return this.toTable(m, r, key, decoded);
    }
    return m.decoder.decode(r.value, where(r)).then(
      (d) => this.toTable(m, r, key, d),
      (err: unknown) => {
        if (isFloeError(err) && err.retryable) throw err;
        return this.deadLetter(m, r, key, err, m.cfg.table);
      },
    );
  }

  private toTable(m: Mapping, r: KafkaRecord, key: string, decoded: DecodedRecord): Promise<void> | void {
    if (m.rollupPlan) return this.toRollup(m, r, key, decoded);
    if (m.cfg.upsert) return this.toUpsert(m, m.cfg.upsert, r, key, decoded);
    let table: string;
    try {
      table = m.route(decoded.value);
    } catch (err) {
      return this.deadLetter(m, r, key, err, undefined);
    }
    const s = this.sink(table);
    if (!s.cursor.accepts(key, r.offset)) {
      this.d.metrics.skipped.inc({ table });
      return;
    }
    if (!s.exists) {
      return m.decoder.tableSchema(decoded.schemaId).then(
        (schema) => this.ensureTable(s, m, async () => schema).then(() => this.toTable(m, r, key, decoded)),
        (err: unknown) => {
          // A writer schema with no Iceberg form (e.g. a union of two types) is this record's
          // fault, not the service's: dead-lettered, as any record that does not convert.
          if (isFloeError(err) && err.retryable) throw err;
          return this.deadLetter(m, r, key, err, s.name);
        },
      );
    }
    if (m.cfg.schemaEvolution === 'add-columns' && !s.evolved.has(decoded.schemaId)) {
      return this.evolveTable(m, s, decoded.schemaId).then(
        () => this.appendRow(m, s, r, key, decoded),
        (err: unknown) => {
          if (isFloeError(err) && err.retryable) throw err;
          return this.deadLetter(m, r, key, err, s.name);
        },
      );
    }
    return this.appendRow(m, s, r, key, decoded);
  }

  /**
   * `schemaEvolution: add-columns`: the columns this writer schema has and the table lacks are
   * added (optional, fresh ids), columns it has wider are widened (int to long, float to double,
   * a decimal's precision) and required ones it has optional are made optional, in one schema
   * commit (src/spec/evolve.ts); rows from then on are written with the new schema.
   * A 409 (another instance evolving the same table) reloads and checks again.
   */
  private async evolveTable(m: Mapping, s: TableSink, schemaId: number): Promise<void> {
    const writer = await m.decoder.tableSchema(schemaId);
    for (let attempt = 1; ; attempt++) {
      const meta = (s.loaded as NonNullable<TableSink['loaded']>).metadata;
      const current = currentSchema(meta);
      const next = evolveSchema(current, writer, meta.lastColumnId, Math.max(...meta.schemas.map((x) => x.schemaId)) + 1);
      if (!next) break;
      try {
        const res = await this.d.ops.catalog.commitTable(
          s.ident,
          [
            { type: 'assert-table-uuid', uuid: meta.tableUuid },
            { type: 'assert-current-schema-id', currentSchemaId: current.schemaId },
          ],
          [
            { action: 'add-schema', schema: next.schema, lastColumnId: next.lastColumnId },
            { action: 'set-current-schema', schemaId: -1 },
          ],
        );
        s.retireWriter();
        s.loaded = { ...(s.loaded as NonNullable<TableSink['loaded']>), metadata: res.metadata, metadataLocation: res.metadataLocation };
        const { added, widened, madeOptional } = next;
        this.d.log.info({ table: s.name, schemaId: currentSchema(res.metadata).schemaId, writerSchemaId: schemaId, ...(added.length ? { added } : {}), ...(widened.length ? { widened } : {}), ...(madeOptional.length ? { madeOptional } : {}) }, 'evolved the table schema');
        break;
      } catch (err) {
        if (!isFloeError(err, 'COMMIT_CONFLICT') || attempt >= 5) throw err;
        s.retireWriter();
        s.loaded = await this.d.ops.load(s.ident);
      }
    }
    s.evolved.add(schemaId);
  }

  /**
   * A record of an upsert mapping (D28): the table is created with the key fields required and
   * as its identifier fields; the record replaces the batch's earlier one of its key.
   */
  private toUpsert(m: Mapping, cfg: UpsertConfig, r: KafkaRecord, key: string, decoded: DecodedRecord): Promise<void> | void {
    const s = this.sink(m.cfg.table);
    if (!s.cursor.accepts(key, r.offset)) {
      this.d.metrics.skipped.inc({ table: s.name });
      return;
    }
    if (!s.exists) {
      return m.decoder.tableSchema(decoded.schemaId).then(
        // A value schema without the key is the config's fault (CONFIG_INVALID naming the key):
        // processing stops rather than dead-letter every record.
        (schema) => this.ensureTable(s, m, async () => upsertTableSchema(schema, cfg, m.key)).then(() => this.toUpsert(m, cfg, r, key, decoded)),
        (err: unknown) => {
          if (isFloeError(err) && err.retryable) throw err;
          return this.deadLetter(m, r, key, err, s.name);
        },
      );
    }
    if (!s.upserts) {
      const meta = (s.loaded as NonNullable<TableSink['loaded']>).metadata;
      const plan = planUpsert(cfg, currentSchema(meta), m.key);
      const outside = defaultSpec(meta).fields.filter((f) => !plan.equalityIds.includes(f.sourceId));
      if (outside.length) {
        throw new FloeError('CONFIG_INVALID', `${m.key}.upsert.key: table ${s.name} is partitioned by ${outside.map((f) => f.name).join(', ')}, not by key fields: an update that moves a row to another partition would leave the old row; use a table partitioned by key fields only (or not at all)`);
      }
      s.upserts = new UpsertBuffer(plan);
    }
    return this.appendRow(m, s, r, key, decoded);
  }

  private appendRow(m: Mapping, s: TableSink, r: KafkaRecord, key: string, decoded: DecodedRecord): Promise<void> | void {
    try {
      const row = this.converter(m, s, decoded.schemaId)(decoded.value);
      if (m.kafkaFields.length) row._kafka = m.kafkaValue(r);
      if (s.upserts) return s.upsert(row, r.size, r.timestamp);
      return s.append(row, r.size, r.timestamp);
    } catch (err) {
      if (isFloeError(err) && err.retryable) throw err;
      if (isFloeError(err) && (err.code === 'CONVERT_FAILED' || err.code === 'SCHEMA_INVALID' || err.code === 'TYPE_UNSUPPORTED' || err.code === 'VALUE_INVALID')) {
        return this.deadLetter(m, r, key, err, s.name);
      }
      throw err;
    }
  }

  /** Rollup sources: the value schema per (decoder, schema id), as a table created from it would have it. */
  private readonly sources = new Map<string, Schema>();
  /** Whether a rollup source's decoded values can be read as they are (see toRollup). */
  private readonly trustedSources = new Map<string, boolean>();

  /** A record of a rollup mapping: checked against the rollup, then added to its table's batch. */
  private toRollup(m: Mapping, r: KafkaRecord, key: string, decoded: DecodedRecord): Promise<void> | void {
    const s = this.sink(m.cfg.table);
    if (!s.cursor.accepts(key, r.offset)) {
      this.d.metrics.skipped.inc({ table: s.name });
      return;
    }
    const sk = `${m.key}\u0000${decoded.schemaId}`;
    const source = this.sources.get(sk);
    if (!source) {
      return m.decoder.tableSchema(decoded.schemaId).then(
        (schema) => {
          this.sources.set(sk, schema);
          this.trustedSources.set(sk, !m.cfg.schema && m.decoder.writerSchema(decoded.schemaId)?.trusted === true);
          return this.toRollup(m, r, key, decoded);
        },
        (err: unknown) => {
          // A writer schema with no Iceberg form: a fault of this record's schema, not of the service.
          if (isFloeError(err) && err.retryable) throw err;
          return this.deadLetter(m, r, key, err, s.name);
        },
      );
    }
    let plan: RollupPlan;
    try {
      plan = (m.rollupPlan as NonNullable<Mapping['rollupPlan']>)(decoded.schemaId, source);
    } catch (err) {
      // While no schema has fit the rollup (none declared, none in the registry at start, the
      // table not created yet), the config is wrong for this topic: stop (nothing skipped) and
      // say which key, rather than send every record to the dead-letter table. Once one has, a
      // writer schema that lacks what the rollup reads is one producer's (or an old version's)
      // fault: its records go to the dead-letter table.
      if (!s.exists && !m.rollupFits?.()) throw new FloeError('CONFIG_INVALID', `${r.topic} (schema id ${decoded.schemaId}): ${(err as Error).message}`);
      const e = new FloeError('CONVERT_FAILED', `schema id ${decoded.schemaId} does not fit the rollup: ${(err as Error).message}`);
      return this.deadLetter(m, r, key, e, s.name);
    }
    if (!s.exists) return this.ensureTable(s, m, async () => plan.schema).then(() => this.toRollup(m, r, key, decoded));
    try {
      if (!s.aggregator) {
        try {
          checkRollupTable(s.name, currentSchema((s.loaded as NonNullable<TableSink['loaded']>).metadata), plan);
        } catch (err) {
          // The table was made for another rollup section (a measure added, a field retyped):
          // a config problem, so stop naming the key rather than dead-letter every record.
          throw new FloeError('CONFIG_INVALID', `${m.key}.rollup: ${(err as Error).message}`);
        }
        s.aggregator = new RollupAggregator(plan);
        void this.ensureRollupView(m, s, plan);
      } else if (plan !== s.aggregator.plan) {
        checkRollupTable(s.name, s.aggregator.plan.schema, plan);
      }
      // An Avro writer's decoded values already are the Iceberg values of its own schema (the
      // converter would copy them unchanged), and a rollup reads only primitives through structs.
      const row = this.trustedSources.get(sk) ? (decoded.value as { [k: string]: Value }) : m.decoder.converter(decoded.schemaId, source.fields)(decoded.value);
      s.aggregate(row, r.timestamp, plan);
    } catch (err) {
      if (isFloeError(err) && err.retryable) throw err;
      if (isFloeError(err) && (err.code === 'CONVERT_FAILED' || err.code === 'SCHEMA_INVALID' || err.code === 'VALUE_INVALID')) return this.deadLetter(m, r, key, err, s.name);
      throw err;
    }
  }

  /** Views already created or found, by name. */
  private readonly views = new Set<string>();

  /**
   * The view of exact totals over a rollup table, where the catalog supports views (DESIGN §5).
   * In the background and never fatal: the table is the product, the view a convenience.
   */
  private async ensureRollupView(m: Mapping, s: TableSink, plan: RollupPlan): Promise<void> {
    const cfg = m.cfg.rollup?.view;
    if (!cfg) return;
    const name = cfg.name ?? `${s.name}_totals`;
    if (this.views.has(name)) return;
    this.views.add(name);
    const catalog = this.d.ops.catalog;
    try {
      if (!(await catalog.supportsViews())) {
        this.d.log.info({ table: s.name }, 'the catalog has no views: no totals view; query the rollup table with GROUP BY (README, Rollups)');
        return;
      }
      const ident = parseIdent(name);
      if (await catalog.viewExists(ident)) return;
      await catalog.createView(ident, { ...rollupViewRequest(plan, s.ident, { name: ident.name, catalog: cfg.catalog }) });
      this.d.log.info({ table: s.name, view: name }, 'created the totals view');
    } catch (err) {
      if (isFloeError(err, 'ALREADY_EXISTS')) return;
      this.views.delete(name);
      this.d.log.warn({ table: s.name, view: name, error: describeError(err) }, 'could not create the totals view (the rollup table is not affected)');
    }
  }

  /** The converter last used, checked by identity first: the keyed lookup below builds a string. */
  private lastConv: { m: Mapping; s: TableSink; schemaId: number; meta: unknown; conv: (v: unknown) => { [k: string]: Value } } | undefined;

  /**
   * The converter from a writer schema's values to the table's rows, compiled by the mapping's
   * decoder from both schemas (values of an Avro writer schema pass through where the types
   * match, unchecked), once per (table, writer schema id, table schema id).
   */
  private converter(m: Mapping, s: TableSink, schemaId: number): (v: unknown) => { [k: string]: Value } {
    const meta = s.loaded?.metadata;
    const last = this.lastConv;
    if (last && last.s === s && last.m === m && last.schemaId === schemaId && last.meta === meta) return last.conv;
    const k = `${m.key}\u0000${s.name}\u0000${schemaId}\u0000${meta?.currentSchemaId}`;
    let c = this.converters.get(k);
    if (!c) {
      const fields = meta ? currentSchema(meta).fields.filter((f) => f.name !== '_kafka') : [];
      c = m.decoder.converter(schemaId, fields);
      this.converters.set(k, c);
    }
    this.lastConv = { m, s, schemaId, meta, conv: c };
    return c;
  }

  private async deadLetter(m: Mapping, r: KafkaRecord, key: string, err: unknown, target: string | undefined): Promise<void> {
    if (m.deadLetterTopic) {
      // Rule 2 for a topic: the record is re-sent while a table of the mapping has not committed
      // past it (at least once into the topic; DeadLetterTopics says why).
      if (!m.tables.some((t) => this.sink(t).cursor.accepts(key, r.offset))) return;
      this.d.metrics.deadLetters.inc({ table: m.cfg.table, code: isFloeError(err) ? err.code : 'INTERNAL' });
      this.d.log.warn({ record: `${r.topic}[${r.partition}]@${r.offset}`, error: describeError(err), deadLetterTopic: m.deadLetterTopic }, 'record sent to the dead-letter topic');
      this.dlqTopics.add(m.deadLetterTopic, deadLetterMessage(r, err, target, this.d.config.kafka.groupId));
      return;
    }
    const s = this.sink(m.deadLetterTable as string);
    if (!s.cursor.accepts(key, r.offset)) return;
    if (!s.exists) await this.ensureTable(s, undefined, async () => DEAD_LETTER_SCHEMA);
    this.d.metrics.deadLetters.inc({ table: m.cfg.table, code: isFloeError(err) ? err.code : 'INTERNAL' });
    this.d.log.warn({ record: `${r.topic}[${r.partition}]@${r.offset}`, error: describeError(err), deadLetterTable: s.name }, 'record sent to the dead-letter table');
    await s.append(deadLetterRow(r, err, target) as { [k: string]: Value }, r.size, r.timestamp);
  }

  /** Loads the table, or creates it (and its namespace) from the schema when auto-create is on. */
  private async ensureTable(s: TableSink, m: Mapping | undefined, schemaOf: () => Promise<Schema>): Promise<void> {
    try {
      s.loaded = await this.d.ops.catalog.loadTable(s.ident);
      if (m) this.checkTableShape(s, m);
      return;
    } catch (err) {
      if (!isFloeError(err, 'NOT_FOUND')) throw err;
    }
    if (m && !m.cfg.autoCreate) {
      throw new FloeError('NOT_FOUND', `table ${s.name} does not exist and autoCreate is off for it: create it, or set autoCreate: true`, { retryable: true });
    }
    const base = await schemaOf();
    const schema = m ? withKafkaColumns(base, m) : base;
    const spec = m
      ? buildSpec(schema, mappingPartitioning(m.cfg))
      : buildSpec(schema, [{ column: 'failed_at', transform: { kind: 'day' } }]);
    await this.d.ops.catalog.ensureNamespace(s.ident.namespace);
    try {
      s.loaded = await this.d.ops.catalog.createTable(s.ident, { schema: schemaToJson(schema), partitionSpec: specToJson(spec), properties: { ...TABLE_DEFAULTS, ...m?.cfg.tableProperties, 'write.format.default': 'parquet', 'floe.created-by': 'floe' } });
      this.d.log.info({ table: s.name }, 'created table');
    } catch (err) {
      if (!isFloeError(err, 'ALREADY_EXISTS')) throw err;
      s.loaded = await this.d.ops.catalog.loadTable(s.ident);
    }
  }

  /** (mapping, table) pairs whose shape was compared already. */
  private readonly shapesChecked = new Set<string>();

  /**
   * The mapping's partitionBy and tableProperties only shape the tables Floe creates: an existing
   * table is written with its own (another engine may have changed them on purpose). A
   * difference is said once per process, when the table is first loaded (at the first
   * assignment, or when a routed table is first written), with the ways to settle it.
   */
  private checkTableShape(s: TableSink, m: Mapping): void {
    const said = `${m.key}\u0000${s.name}`;
    if (this.shapesChecked.has(said)) return;
    this.shapesChecked.add(said);
    const meta = (s.loaded as NonNullable<TableSink['loaded']>).metadata;
    const diff = specDifference(defaultSpec(meta), currentSchema(meta), mappingPartitioning(m.cfg));
    if (diff) {
      this.d.log.warn(
        { table: s.name },
        `${m.key}.partitionBy: ${diff}; the service writes with the table's partitioning and does not change it. Run \`floe apply -c <config>\` to repartition the table (or change the mapping to match)`,
      );
    }
    const props = propertyDifferences(meta.properties, m.cfg.tableProperties);
    if (props.length) {
      this.d.log.warn(
        { table: s.name },
        `${m.key}.tableProperties: ${props.join(', ')}; the service uses the table's properties and does not change them. Run \`floe apply -c <config>\` to set them on the table (or change the mapping to match)`,
      );
    }
  }

  private bufferedBytes(): number {
    let n = 0;
    for (const s of this.sinks.values()) n += s.bufferedBytes;
    // Row groups already cut from the builders but still being encoded are memory too.
    return n + sharedEncoderBytes();
  }

  private checkPressure(): void {
    const b = this.bufferedBytes();
    this.d.metrics.bufferedBytes.set(b);
    const over = b > this.d.config.memoryLimit;
    this.d.metrics.paused.set(over ? 1 : 0);
    this.consumer.setBackpressure(over);
    if (over || [...this.sinks.values()].some((s) => s.bufferedBytes > this.d.config.commit.maxBytesPerTable)) void this.tick(true);
  }

  /** Cuts due batches, seals their files and commits every pending batch. */
  tick(force: boolean): Promise<void> {
    if (this.committing) return this.committing;
    const now = Date.now();
    if (!force && now - this.lastTick < this.d.config.commit.interval) return Promise.resolve();
    if (now < this.outageUntil) return Promise.resolve();
    this.lastTick = now;
    this.committing = this.commitRound(force).finally(() => (this.committing = undefined));
    return this.committing;
  }

  private async commitRound(force: boolean): Promise<void> {
    const cuts = await this.lock.run(() => {
      const out: Array<[TableSink, NonNullable<ReturnType<TableSink['cut']>>]> = [];
      if (!this.ready) return out;
      const now = Date.now();
      for (const s of this.sinks.values()) {
        const offsetsOnly = now - s.lastOffsetsOnlyAt >= this.d.config.commit.offsetsOnlyInterval;
        const c = s.cut(this.positions, offsetsOnly || (force && this.stopped));
        if (c) {
          out.push([s, c]);
          if (c.rows) this.d.metrics.tableRecordsIn.inc({ table: s.name }, c.rows);
        }
      }
      return out;
    });
    let fenced = false;
    try {
      await Promise.all(cuts.map(([s, c]) => s.seal(c)));
      const results = await Promise.allSettled([...this.sinks.values()].filter((s) => s.hasPending).map((s) => s.commitPending()));
      for (const r of results) {
        if (r.status === 'fulfilled' && r.value === false) fenced = true;
        if (r.status === 'rejected') this.lastError = describeError(r.reason);
      }
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) this.d.log.warn({ err: describeError(failed.reason), retryInMs: this.pauseAfterFailure() }, 'commit failed; the batch stays pending and is retried');
      else if (results.length) {
        this.lastError = undefined;
        this.failedRounds = 0;
      }
    } catch (err) {
      // Writing files failed (store unavailable): drop the batches and re-read them, after a
      // pause as for a failed commit (not once per commit interval for as long as it lasts).
      this.lastError = describeError(err);
      this.d.metrics.writeErrors.inc({ code: isFloeError(err) ? err.code : 'INTERNAL' });
      this.d.log.error({ err: describeError(err), retryInMs: this.pauseAfterFailure() }, 'sealing a batch failed; re-reading from the tables');
      fenced = true;
    }
    if (fenced) {
      this.consumer.replan();
      return;
    }
    await this.commitHint();
    this.updateLag();
    this.checkPressure();
  }

  /**
   * Holds commit rounds back after a failed one: 2 s, doubling with each failure in a row up to
   * 10 s (±20%, so that instances do not retry in step). A failed seal costs a re-read of the
   * batch from Kafka, so a long store outage is retried every ~10 s rather than every 2 s; the
   * sink resumes within ~12 s of the store's or catalog's return. Returns the pause.
   */
  private pauseAfterFailure(): number {
    this.failedRounds++;
    const ms = Math.round(Math.min(2000 * 2 ** (this.failedRounds - 1), 10_000) * (0.8 + 0.4 * Math.random()));
    this.outageUntil = Date.now() + ms;
    return ms;
  }

  /**
   * `floe_partition_lag_records`: per table and assigned partition, the log end as last fetched
   * minus the table's committed offset (records buffered but not committed count as lag).
   */
  private updateLag(): void {
    for (const p of this.consumer.lag()) {
      if (p.highWatermark === undefined) continue;
      const key = tpKey(p.topic, p.partition);
      for (const t of this.tablesOf(p.topic)) {
        const pos = this.sinks.get(t)?.cursor.position(key);
        if (pos !== undefined) this.d.metrics.lag.set({ table: t, topic: p.topic, partition: String(p.partition) }, Math.max(0, p.highWatermark - pos));
      }
    }
  }

  /** Creates missing dead-letter topics at start (as Kafka Connect does for its DLQ), with the broker's defaults. */
  private async ensureDeadLetterTopics(): Promise<void> {
    const topics = [...new Set(this.mappings.flatMap((m) => (m.deadLetterTopic ? [m.deadLetterTopic] : [])))];
    if (!topics.length) return;
    const admin = this.d.kafka.admin();
    try {
      await admin.connect();
      const have = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !have.has(t));
      if (missing.length) await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
      if (missing.length) this.d.log.info({ topics: missing }, 'created dead-letter topics');
    } catch (err) {
      throw new FloeError('KAFKA_ERROR', `dead-letter topics ${topics.join(', ')}: cannot check or create them: ${(err as Error).message}; create them, or grant the principal CREATE and DESCRIBE`, { cause: err, retryable: true });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Rule 7: the group's Kafka offsets follow the slowest table of each partition. */
  private async commitHint(): Promise<void> {
    const out: Array<TopicPartition & { offset: number }> = [];
    for (const p of this.consumer.assignment) {
      const key = tpKey(p.topic, p.partition);
      let min = Infinity;
      for (const t of this.tablesOf(p.topic)) {
        const s = this.sinks.get(t);
        if (!s?.exists) continue;
        const pos = s.cursor.position(key);
        if (pos !== undefined && pos < min) min = pos;
      }
      if (min !== Infinity) out.push({ ...p, offset: min });
    }
    await this.consumer.commitHint(out);
  }

  /** Graceful stop: stop fetching, commit what is buffered, leave the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.consumer.setBackpressure(true);
    await this.committing?.catch(() => undefined);
    for (let i = 0; i < 3; i++) {
      this.lastTick = 0;
      this.outageUntil = 0;
      await this.tick(true).catch(() => undefined);
      if (![...this.sinks.values()].some((s) => s.hasPending || s.openRows > 0)) break;
    }
    await this.consumer.stop();
    await this.dlqTopics.close().catch(() => undefined);
  }

  /**
   * Whether this instance runs the service's maintenance (snapshot expiry, compaction): the
   * consumer group's leader does, so that N instances do not each rewrite the same files.
   * Undefined while this instance is not in the group.
   */
  leadsMaintenance(): boolean | undefined {
    return this.stopped ? undefined : this.consumer.isGroupLeader;
  }

  health(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.ready) reasons.push('partitions not assigned or being re-planned');
    if (this.lastError) reasons.push(`last error: ${this.lastError}`);
    for (const s of this.sinks.values()) if (s.commitTrouble) reasons.push(`commit to ${s.name} retrying, last error: ${s.commitTrouble}`);
    return { ready: reasons.length === 0, reasons };
  }
}

/**
 * A rollup table must have the columns the rollup writes, with the same types, or it is not
 * written. Throws SCHEMA_INVALID: against the table as loaded, the caller makes that a config
 * error (the table was made for another rollup section); between two writer schemas of one
 * topic (a decimal's scale changed), the record goes to the dead-letter table.
 */
function checkRollupTable(table: string, have: Schema, plan: RollupPlan): void {
  const cols = new Map(have.fields.map((f) => [f.name, JSON.stringify(f.type)]));
  for (const f of plan.schema.fields) {
    const t = cols.get(f.name);
    if (t === undefined) throw new FloeError('SCHEMA_INVALID', `rollup table ${table} has no column '${f.name}'; it was created for another rollup section: drop it or name a new table`);
    if (t !== JSON.stringify(f.type)) throw new FloeError('SCHEMA_INVALID', `rollup table ${table} column '${f.name}' is ${t}, this record's rollup gives ${JSON.stringify(f.type)}`);
  }
}

/** Where a record is, for messages (built only when one is needed). */
function where(r: KafkaRecord): string {
  return `${r.topic}[${r.partition}]@${r.offset}`;
}

/**
 * The largest row group the sink builds, from its memory limit. An encoder thread's WebAssembly
 * memory grows to about five times the largest row group (Arrow IPC bytes) it has encoded and
 * never shrinks (measured, 12-column rows: 31 MB row groups left about 140 MB per thread, 8 MB
 * ones about 70 MB), so the threads together stay near a third of the limit. 4 to 64 MiB.
 */
export function rowGroupBytesFor(memoryLimit: number, encoderThreads: number): number {
  const MiB = 2 ** 20;
  return Math.max(4 * MiB, Math.min(64 * MiB, Math.floor(memoryLimit / (16 * Math.max(1, encoderThreads)))));
}
