import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Floe's metrics, on a registry of its own (never prom-client's global one), passed to the
 * parts that record them. Names follow Prometheus conventions: `floe_` prefix, base units.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly recordsIn = new Counter({ name: 'floe_records_in_total', help: 'Kafka records consumed, by topic', labelNames: ['topic'], registers: [this.registry] });
  readonly tableRecordsIn = new Counter({ name: 'floe_table_records_in_total', help: 'Records taken into a table\'s batch, by table (a batch dropped by a fence or a rebalance is read and counted again)', labelNames: ['table'], registers: [this.registry] });
  readonly recordsOut = new Counter({ name: 'floe_records_out_total', help: 'Rows committed to tables, by table', labelNames: ['table'], registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'floe_bytes_in_total', help: 'Kafka record bytes consumed (key + value), by topic', labelNames: ['topic'], registers: [this.registry] });
  readonly deadLetters = new Counter({ name: 'floe_dead_letter_records_total', help: 'Records sent to the dead-letter target, by table and reason code', labelNames: ['table', 'code'], registers: [this.registry] });
  readonly skipped = new Counter({ name: 'floe_records_skipped_total', help: 'Records dropped because the table already has them (replay after resume)', labelNames: ['table'], registers: [this.registry] });
  readonly commits = new Counter({ name: 'floe_commits_total', help: 'Snapshots committed, by table and kind (data, offsets-only)', labelNames: ['table', 'kind'], registers: [this.registry] });
  readonly conflicts = new Counter({ name: 'floe_commit_conflicts_total', help: 'Commit attempts answered 409 (optimistic concurrency), by table', labelNames: ['table'], registers: [this.registry] });
  readonly fenced = new Counter({ name: 'floe_batches_fenced_total', help: 'Batches discarded because another process committed their range (rule 3)', labelNames: ['table'], registers: [this.registry] });
  readonly writeErrors = new Counter({ name: 'floe_write_errors_total', help: 'Batches whose data files could not be written (the object store failed); dropped and read again from Kafka, by error code', labelNames: ['code'], registers: [this.registry] });
  readonly commitErrors = new Counter({ name: 'floe_commit_errors_total', help: 'Failed commit attempts, by table and error code', labelNames: ['table', 'code'], registers: [this.registry] });
  readonly commitSeconds = new Histogram({
    name: 'floe_commit_duration_seconds',
    help: 'Time from batch cut to snapshot committed, by table',
    labelNames: ['table'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly compactions = new Counter({ name: 'floe_compactions_total', help: 'Compactions run by the service, by table and outcome (rewritten, nothing, conflict, error)', labelNames: ['table', 'outcome'], registers: [this.registry] });
  readonly compactedRows = new Counter({ name: 'floe_compacted_rows_total', help: 'Rows read by compactions (in) and written (out; fewer for a rollup, whose partial rows are combined), by table', labelNames: ['table', 'direction'], registers: [this.registry] });
  readonly expiredSnapshots = new Counter({ name: 'floe_expired_snapshots_total', help: 'Snapshots removed by the service\'s snapshot expiry, by table', labelNames: ['table'], registers: [this.registry] });
  readonly maintenanceLeader = new Gauge({ name: 'floe_maintenance_leader', help: '1 while this instance runs the service\'s maintenance (snapshot expiry, compaction): it leads the consumer group', registers: [this.registry] });
  readonly orphanFilesDeleted = new Counter({ name: 'floe_orphan_files_deleted_total', help: 'Files no snapshot reached, deleted by the service\'s orphan file removal, by table', labelNames: ['table'], registers: [this.registry] });
  readonly maintenanceErrors = new Counter({ name: 'floe_maintenance_errors_total', help: 'Maintenance runs that failed (retried at the next tick), by table and job (expire, orphans)', labelNames: ['table', 'job'], registers: [this.registry] });
  readonly filesWritten = new Counter({ name: 'floe_data_files_written_total', help: 'Parquet data files written, by table', labelNames: ['table'], registers: [this.registry] });
  readonly bytesWritten = new Counter({ name: 'floe_data_bytes_written_total', help: 'Parquet bytes written, by table', labelNames: ['table'], registers: [this.registry] });
  readonly lag = new Gauge({ name: 'floe_partition_lag_records', help: 'Log end offset minus the table offset, by table, topic and partition', labelNames: ['table', 'topic', 'partition'], registers: [this.registry] });
  readonly bufferedBytes = new Gauge({ name: 'floe_buffered_bytes', help: 'Bytes of records held in memory awaiting commit', registers: [this.registry] });
  readonly paused = new Gauge({ name: 'floe_fetch_paused', help: '1 while fetching is paused for backpressure', registers: [this.registry] });
  readonly newestCommittedRecord = new Gauge({ name: 'floe_newest_committed_record_timestamp_seconds', help: 'Kafka timestamp of the newest record committed to the table, by table: time() minus it is how stale the table is', labelNames: ['table'], registers: [this.registry] });
  readonly lastCommitTime = new Gauge({ name: 'floe_last_commit_timestamp_seconds', help: 'Unix time of the last successful commit, by table', labelNames: ['table'], registers: [this.registry] });
  readonly tableSnapshots = new Gauge({ name: 'floe_table_snapshots', help: 'Snapshots in the table metadata after the last commit, by table (grows until snapshot expiry removes old ones)', labelNames: ['table'], registers: [this.registry] });
  readonly offsetsTruncated = new Counter({ name: 'floe_offsets_truncated_total', help: 'Stored offsets found below the log start (retention deleted records Floe had not written)', labelNames: ['table', 'topic', 'partition'], registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'floe_' });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
