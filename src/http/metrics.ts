import type { RequestHandler } from 'express';
import { sql } from 'kysely';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StateDb } from '../state/state.ts';

/** How far back `backstop_backup_duration_seconds` looks. */
const DURATION_WINDOW_DAYS = 7;
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800];
const OPERATION_KINDS = ['backup', 'restore', 'download', 'delivery'];
const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** What one scrape reads from the state database. */
interface Snapshot {
  operations: { kind: string; status: string; count: number }[];
  durations: { app: string; env: string; seconds: number }[];
  bytes: { app: string; env: string; bytes: number }[];
  lastCompleted: { app: string; env: string; trigger: string; seconds: number }[];
}

/**
 * Backstop's Prometheus metrics, in a registry of their own (never prom-client's global one), read from the state
 * database at scrape time, so every instance sharing the database reports the same figures:
 * - `backstop_operations{kind,status}`: operations in the queue's history (finished ones are kept for a while);
 * - `backstop_queue_depth`: queued + running operations;
 * - `backstop_backup_duration_seconds{app,env}`: a histogram of the run time (completed_at - started_at) of the
 *   backups completed in the last 7 days, rebuilt at each scrape. It is a window, not a counter: read it directly
 *   (`histogram_quantile(0.9, sum by (le) (backstop_backup_duration_seconds_bucket))`), not through `rate()`;
 * - `backstop_backup_bytes_total{app,env}`: stored (encrypted) bytes of the completed backups kept now (it falls as
 *   retention deletes backups, so it is a gauge);
 * - `backstop_last_completed_backup_timestamp_seconds{app,env,trigger}`: when the newest completed backup ended
 *   (alert on `time() - ... > 2 * 86400`);
 * - `backstop_state_up`: 1 when the state database answered this scrape (else 0, and the figures above are absent,
 *   the queue depth NaN);
 * - the default process metrics (`process_*`, `nodejs_*`).
 */
export function createMetricsRegistry(db: StateDb, clock: () => Date = () => new Date()): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // The metrics are collected side by side at each scrape: they share one read of the database. Each one resets and
  // refills itself synchronously after that read, so concurrent scrapes never see a half-filled metric.
  let pending: Promise<Snapshot | undefined> | undefined;
  const snapshot = () => {
    pending ??= readSnapshot(db, clock()).then(
      (read) => {
        pending = undefined;
        return read;
      },
      () => {
        pending = undefined;
        return undefined;
      },
    );
    return pending;
  };

  new Gauge({
    name: 'backstop_state_up',
    help: 'Whether the state database answered this scrape (1) or not (0).',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'backstop_operations',
    help: 'Operations (backups, restores, downloads, deliveries) in the queue and its recent history, by kind and status.',
    labelNames: ['kind', 'status'],
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      if (!read) return;
      const kinds = new Set([...OPERATION_KINDS, ...read.operations.map((o) => o.kind)]);
      for (const kind of kinds) for (const status of OPERATION_STATUSES) this.set({ kind, status }, 0);
      for (const o of read.operations) this.set({ kind: o.kind, status: o.status }, o.count);
    },
  });
  new Gauge({
    name: 'backstop_queue_depth',
    help: 'Operations queued or running.',
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      // An unlabelled gauge always has a sample: NaN (unknown) rather than a reassuring 0.
      if (!read) {
        this.set(Number.NaN);
        return;
      }
      const active = read.operations.filter((o) => o.status === 'queued' || o.status === 'running');
      this.set(active.reduce((sum, o) => sum + o.count, 0));
    },
  });
  new Histogram({
    name: 'backstop_backup_duration_seconds',
    help: `Run time of the backups completed in the last ${DURATION_WINDOW_DAYS} days (recomputed at each scrape).`,
    labelNames: ['app', 'env'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      if (!read) return;
      for (const d of read.durations) this.observe({ app: d.app, env: d.env }, d.seconds);
    },
  });
  new Gauge({
    name: 'backstop_backup_bytes_total',
    help: 'Stored (encrypted) bytes of the completed backups kept, by target.',
    labelNames: ['app', 'env'],
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      if (!read) return;
      for (const b of read.bytes) this.set({ app: b.app, env: b.env }, b.bytes);
    },
  });
  new Gauge({
    name: 'backstop_last_completed_backup_timestamp_seconds',
    help: 'When the newest completed backup of a target and trigger ended (Unix time).',
    labelNames: ['app', 'env', 'trigger'],
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      if (!read) return;
      for (const l of read.lastCompleted) this.set({ app: l.app, env: l.env, trigger: l.trigger }, l.seconds);
    },
  });
  return registry;
}

/** `GET /metrics`: the registry in Prometheus' text format. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_request, response) => {
    const text = await registry.metrics();
    response.set('Content-Type', registry.contentType).send(text);
  };
}

async function readSnapshot(db: StateDb, now: Date): Promise<Snapshot> {
  const since = new Date(now.getTime() - DURATION_WINDOW_DAYS * 24 * 3600 * 1000);
  const operations = await db
    .selectFrom('operations')
    .select(['kind', 'status', (eb) => eb.fn.countAll<string>().as('count')])
    .groupBy(['kind', 'status'])
    .execute();
  const durations = await db
    .selectFrom('backups')
    .select(['app', 'env', 'started_at', 'completed_at'])
    .where('status', '=', 'completed')
    .where('started_at', 'is not', null)
    .where('completed_at', '>=', since)
    .execute();
  const bytes = await db
    .selectFrom('backups as b')
    .innerJoin('backup_parts as p', 'p.backup_id', 'b.id')
    .select(['b.app', 'b.env', sql<string>`sum(p.stored_size_bytes)`.as('bytes')])
    .where('b.status', '=', 'completed')
    .groupBy(['b.app', 'b.env'])
    .execute();
  const lastCompleted = await db
    .selectFrom('backups')
    .select(['app', 'env', 'trigger', (eb) => eb.fn.max('completed_at').as('latest')])
    .where('status', '=', 'completed')
    .groupBy(['app', 'env', 'trigger'])
    .execute();
  return {
    operations: operations.map((o) => ({ kind: o.kind, status: o.status, count: Number(o.count) })),
    durations: durations.map((d) => ({
      app: d.app,
      env: d.env,
      seconds: Math.max(0, (epochMs(d.completed_at) - epochMs(d.started_at)) / 1000),
    })),
    bytes: bytes.map((b) => ({ app: b.app, env: b.env, bytes: Number(b.bytes) })),
    lastCompleted: lastCompleted.map((l) => ({
      app: l.app,
      env: l.env,
      trigger: l.trigger,
      seconds: epochMs(l.latest) / 1000,
    })),
  };
}

/** A time read from the state: a `Date`, or the text an aggregate of the embedded state gives back. */
function epochMs(at: Date | string | null): number {
  return at === null ? Number.NaN : new Date(at).getTime();
}
