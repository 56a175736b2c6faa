import type { RequestHandler } from 'express';
import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { provenBackupOf } from '../domain/drill.ts';
import type { Target } from '../domain/target.ts';
import type { StateDb } from '../state/state.ts';

const OPERATION_KINDS = ['backup', 'restore', 'download', 'delivery', 'drill'];
const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
/** The events counted, by the counter that counts them. */
const COUNTED_EVENTS = [
  'backup.succeeded',
  'backup.failed',
  'backup.missed',
  'restore.succeeded',
  'restore.failed',
  'drill.failed',
  'drill.missed',
];

/** What one scrape reads from the state database. */
interface Snapshot {
  operations: { kind: string; status: string; count: number }[];
  storedBytes: { app: string; env: string; bytes: number }[];
  /** The newest completed backup of each target and trigger. */
  newest: { app: string; env: string; trigger: string; completedAt: number; seconds: number; bytes: number }[];
  /** When a drill last proved a backup of each target restorable. */
  proven: { app: string; env: string; at: number }[];
  /** Events by type and target (and trigger, for backups), with the summed run time of completed backups. */
  events: { type: string; app: string; env: string; trigger: string | null; count: number; seconds: number }[];
}

/**
 * Backstop's Prometheus metrics, in a registry of their own (never prom-client's global one). Every `backstop_*`
 * figure is read from the state database at scrape time, never from this process's memory, so any `serve` reports
 * the whole fleet (the backups its own workers ran and those of every `worker`, which has no HTTP port), and every
 * instance sharing the database reports the same figures (aggregate across instances with max, not sum). Units are
 * in the names, in base units (seconds, bytes); counters end in `_total`.
 * Gauges:
 * - `backstop_state_up`: 1 when the state database answered this scrape (else 0, the others absent, the queue NaN);
 * - `backstop_operations{kind,status}`: operations in the queue and its recent history (finished ones are kept for
 *   a while, so this falls too);
 * - `backstop_queue_depth`: queued + running operations;
 * - `backstop_backup_stored_bytes{app,env}`: stored (encrypted) bytes of the completed backups kept now (it falls
 *   as retention deletes backups);
 * - `backstop_last_completed_backup_timestamp_seconds{app,env,trigger}`: when the newest completed backup ended
 *   (alert on `time() - ... > 2 * 86400`);
 * - `backstop_last_completed_backup_duration_seconds{app,env,trigger}`: how long it ran;
 * - `backstop_last_completed_backup_stored_bytes{app,env,trigger}`: what it stores;
 * - `backstop_last_proven_restorable_timestamp_seconds{app,env}`: when a drill last proved a backup of the target
 *   restorable: its newest proven backup, one holding its database when it has one (alert on its age against the
 *   drill schedule).
 * Counters, from the event log's counts (kept as each event is recorded; they only grow: use rate() and increase()):
 * - `backstop_backups_completed_total{app,env,trigger}`, `backstop_backups_failed_total{app,env,trigger}`;
 * - `backstop_backup_duration_seconds_total{app,env,trigger}`: the run time of the completed backups, summed (its
 *   rate over the rate of completions is the mean duration over a window);
 * - `backstop_backups_missed_total{app,env}`: `backup.missed` alerts;
 * - `backstop_restores_completed_total{app,env}`, `backstop_restores_failed_total{app,env}`: by destination;
 * - `backstop_drills_failed_total{app,env}`, `backstop_drills_missed_total{app,env}`: `drill.failed` and
 *   `drill.missed` events.
 * Besides, the default process metrics of this instance (`process_*`, `nodejs_*`).
 */
export function createMetricsRegistry(db: StateDb, targets: readonly Target[] = []): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // The metrics are collected side by side at each scrape: they share one read of the database. Each one resets and
  // refills itself synchronously after that read, so concurrent scrapes never see a half-filled metric.
  let pending: Promise<Snapshot | undefined> | undefined;
  const snapshot = () => {
    pending ??= readSnapshot(db, targets).then(
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
    help: 'Operations (backups, restores, downloads, deliveries, drills) in the queue and its recent history, by kind and status.',
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
  targetGauge(registry, snapshot, {
    name: 'backstop_backup_stored_bytes',
    help: 'Stored (encrypted) bytes of the completed backups kept, by target.',
    labelNames: ['app', 'env'],
    samples: (read) => read.storedBytes.map((b) => [{ app: b.app, env: b.env }, b.bytes]),
  });
  const newest = (value: (n: Snapshot['newest'][number]) => number) => (read: Snapshot) =>
    read.newest.map((n): Sample => [{ app: n.app, env: n.env, trigger: n.trigger }, value(n)]);
  targetGauge(registry, snapshot, {
    name: 'backstop_last_completed_backup_timestamp_seconds',
    help: 'When the newest completed backup of a target and trigger ended (Unix time).',
    labelNames: ['app', 'env', 'trigger'],
    samples: newest((n) => n.completedAt),
  });
  targetGauge(registry, snapshot, {
    name: 'backstop_last_completed_backup_duration_seconds',
    help: 'How long the newest completed backup of a target and trigger ran.',
    labelNames: ['app', 'env', 'trigger'],
    samples: newest((n) => n.seconds),
  });
  targetGauge(registry, snapshot, {
    name: 'backstop_last_completed_backup_stored_bytes',
    help: 'Stored (encrypted) bytes of the newest completed backup of a target and trigger.',
    labelNames: ['app', 'env', 'trigger'],
    samples: newest((n) => n.bytes),
  });
  targetGauge(registry, snapshot, {
    name: 'backstop_last_proven_restorable_timestamp_seconds',
    help: 'When a restore drill last proved a backup of a target restorable (Unix time).',
    labelNames: ['app', 'env'],
    samples: (read) => read.proven.map((p): Sample => [{ app: p.app, env: p.env }, p.at]),
  });

  const counted =
    (type: string, value: (e: Snapshot['events'][number]) => number, withTrigger: boolean) => (read: Snapshot) =>
      read.events
        .filter((e) => e.type === type)
        .map(
          (e): Sample => [
            { app: e.app, env: e.env, ...(withTrigger && { trigger: e.trigger ?? 'unknown' }) },
            value(e),
          ],
        );
  eventCounter(registry, snapshot, {
    name: 'backstop_backups_completed_total',
    help: 'Backups completed, by target and trigger.',
    labelNames: ['app', 'env', 'trigger'],
    samples: counted('backup.succeeded', (e) => e.count, true),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_backups_failed_total',
    help: 'Backups failed (after their last attempt), by target and trigger.',
    labelNames: ['app', 'env', 'trigger'],
    samples: counted('backup.failed', (e) => e.count, true),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_backup_duration_seconds_total',
    help: 'Run time of the completed backups, summed, by target and trigger.',
    labelNames: ['app', 'env', 'trigger'],
    samples: counted('backup.succeeded', (e) => e.seconds, true),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_backups_missed_total',
    help: 'Missed-backup alerts (no scheduled backup completed for two periods), by target.',
    labelNames: ['app', 'env'],
    samples: counted('backup.missed', (e) => e.count, false),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_restores_completed_total',
    help: 'Restores completed, by destination target.',
    labelNames: ['app', 'env'],
    samples: counted('restore.succeeded', (e) => e.count, false),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_restores_failed_total',
    help: 'Restores failed, by destination target.',
    labelNames: ['app', 'env'],
    samples: counted('restore.failed', (e) => e.count, false),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_drills_failed_total',
    help: 'Restore drills failed, by target.',
    labelNames: ['app', 'env'],
    samples: counted('drill.failed', (e) => e.count, false),
  });
  eventCounter(registry, snapshot, {
    name: 'backstop_drills_missed_total',
    help: 'Missed-drill alerts (no backup proven restorable for a drill period and a day), by target.',
    labelNames: ['app', 'env'],
    samples: counted('drill.missed', (e) => e.count, false),
  });
  return registry;
}

type Sample = [Record<string, string>, number];
interface Family {
  name: string;
  help: string;
  labelNames: string[];
  samples: (read: Snapshot) => Sample[];
}

/** A gauge refilled from each scrape's read of the state (absent while the state does not answer). */
function targetGauge(registry: Registry, snapshot: () => Promise<Snapshot | undefined>, family: Family): void {
  new Gauge({
    name: family.name,
    help: family.help,
    labelNames: family.labelNames,
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      if (!read) return;
      for (const [labels, value] of family.samples(read)) this.set(labels, value);
    },
  });
}

/**
 * A counter whose value is a total kept in the state (a count of events, which are never deleted), set afresh at
 * each scrape: it never falls, whichever instance is scraped.
 */
function eventCounter(registry: Registry, snapshot: () => Promise<Snapshot | undefined>, family: Family): void {
  new Counter({
    name: family.name,
    help: family.help,
    labelNames: family.labelNames,
    registers: [registry],
    async collect() {
      const read = await snapshot();
      this.reset();
      if (!read) return;
      for (const [labels, value] of family.samples(read)) this.inc(labels, value);
    },
  });
}

/** `GET /metrics`: the registry in Prometheus' text format. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_request, response) => {
    const text = await registry.metrics();
    response.set('Content-Type', registry.contentType).send(text);
  };
}

async function readSnapshot(db: StateDb, targets: readonly Target[]): Promise<Snapshot> {
  const operations = await db
    .selectFrom('operations')
    .select(['kind', 'status', (eb) => eb.fn.countAll<string>().as('count')])
    .groupBy(['kind', 'status'])
    .execute();
  const storedBytes = await db
    .selectFrom('backups as b')
    .innerJoin('backup_parts as p', 'p.backup_id', 'b.id')
    .select(['b.app', 'b.env', sql<string>`sum(p.stored_size_bytes)`.as('bytes')])
    .where('b.status', '=', 'completed')
    .groupBy(['b.app', 'b.env'])
    .execute();
  const newest = await db
    .selectFrom('backups as b')
    .select([
      'b.app',
      'b.env',
      'b.trigger',
      'b.started_at',
      'b.completed_at',
      (eb) =>
        eb
          .selectFrom('backup_parts as p')
          .select(sql<string>`sum(p.stored_size_bytes)`.as('bytes'))
          .whereRef('p.backup_id', '=', 'b.id')
          .as('bytes'),
    ])
    .where('b.status', '=', 'completed')
    .where(
      'b.completed_at',
      '=',
      sql<Date>`(select max(c.completed_at) from backups c where c.app = b.app and c.env = b.env and c.trigger = b.trigger and c.status = 'completed')`,
    )
    .execute();
  // Every backup a drill proved (as many as retention keeps drilled): which stands for its target is decided with the
  // target's config, as schedule decides it (provenBackupOf).
  const provenRows = await db
    .selectFrom('backups')
    .select(['app', 'env', 'parts', 'created_at', 'proven_at'])
    .where('proven_at', 'is not', null)
    .execute();
  const byTarget = new Map<string, { app: string; env: string; parts: string; createdAt: Date; provenAt: Date }[]>();
  for (const row of provenRows) {
    const key = JSON.stringify([row.app, row.env]);
    const backup = {
      app: row.app,
      env: row.env,
      parts: row.parts,
      createdAt: new Date(epochMs(row.created_at)),
      provenAt: new Date(epochMs(row.proven_at!)),
    };
    byTarget.set(key, [...(byTarget.get(key) ?? []), backup]);
  }
  const proven: { app: string; env: string; at: number }[] = [];
  for (const backups of byTarget.values()) {
    const { app, env } = backups[0]!;
    const chosen = provenBackupOf(
      backups,
      targets.find((t) => t.app === app && t.env === env),
    );
    if (chosen) proven.push({ app, env, at: chosen.provenAt.getTime() / 1000 });
  }
  // Kept up as events are recorded (EventLog.record): one row per type, target and trigger, however long the log.
  const events = await db
    .selectFrom('event_counts')
    .select(['type', 'app', 'env', 'trigger', 'count', 'duration_ms'])
    .where('type', 'in', COUNTED_EVENTS)
    .execute();
  return {
    operations: operations.map((o) => ({ kind: o.kind, status: o.status, count: Number(o.count) })),
    storedBytes: storedBytes.map((b) => ({ app: b.app, env: b.env, bytes: Number(b.bytes) })),
    newest: newest.map((n) => ({
      app: n.app,
      env: n.env,
      trigger: n.trigger,
      completedAt: epochMs(n.completed_at) / 1000,
      seconds: Math.max(0, (epochMs(n.completed_at) - epochMs(n.started_at)) / 1000),
      bytes: Number(n.bytes ?? 0),
    })),
    proven,
    events: events.map((e) => ({
      type: e.type,
      app: e.app ?? '',
      env: e.env ?? '',
      trigger: e.trigger === '' ? null : e.trigger,
      count: Number(e.count),
      seconds: Number(e.duration_ms ?? 0) / 1000,
    })),
  };
}

/** A time read from the state: a `Date`, or the text an aggregate of the embedded state gives back. */
function epochMs(at: Date | string | null): number {
  return at === null ? Number.NaN : new Date(at).getTime();
}
