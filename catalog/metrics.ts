import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The catalog server's metrics, on a registry of its own, or on the one given (Floe's, when the
 * catalog is embedded in `floe run`: one /metrics for both; the names do not overlap).
 */
export class CatalogMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly commitSeconds: Histogram<'tables' | 'outcome'>;
  readonly conflicts: Counter;

  constructor(options: { defaultMetrics?: boolean; registry?: Registry } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.requests = new Counter({ name: 'floe_catalog_requests_total', help: 'REST requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.commitSeconds = new Histogram({
      name: 'floe_catalog_commit_duration_seconds',
      help: 'Commit handling time (read, check, apply, write metadata, swap), by tables (one/many) and outcome (ok/conflict/error)',
      labelNames: ['tables', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.conflicts = new Counter({ name: 'floe_catalog_commit_conflicts_total', help: 'Commits refused with 409 CommitFailed (a requirement failed or the pointer moved)', registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'floe_catalog_' });
  }
}
