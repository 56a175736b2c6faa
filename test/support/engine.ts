import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessPolicy } from '../../src/access/access-policy.ts';
import type { ConfigFile } from '../../src/config/config-schema.ts';
import { generateIdentity, recipientOf } from '../../src/crypto/index.ts';
import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Backup } from '../../src/domain/backup.ts';
import { newId } from '../../src/domain/new-id.ts';
import type { Target } from '../../src/domain/target.ts';
import { queueBackup, runBackup } from '../../src/engine/run-backup.ts';
import type { JobsContext } from '../../src/jobs/jobs-context.ts';
import { OperationQueue } from '../../src/jobs/operation-queue.ts';
import { Worker, type WorkerOptions } from '../../src/jobs/worker.ts';
import type { Mailer } from '../../src/notify/mailer.ts';
import { defaultRetentionPolicy } from '../../src/retention/retention-policy.ts';
import { MediaDirSource } from '../../src/sources/media-dir-source.ts';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import type { Source } from '../../src/sources/source.ts';
import { AuditLog } from '../../src/state/audit-log.ts';
import { Catalog } from '../../src/state/catalog.ts';
import { DownloadBook } from '../../src/state/download-book.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { RestoreRequests } from '../../src/state/restore-requests.ts';
import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import { DownloadLinkSigner } from '../../src/storage/download-link-signer.ts';
import { FsStore } from '../../src/storage/fs-store.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import type { Store } from '../../src/storage/store.ts';
import { engineRunners } from '../../src/use-cases/operation-runners.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import type { S3rverPeer } from './s3rver.ts';

export type StoreKind = 'directory' | 's3';

/**
 * A store of the given kind in a fresh directory or bucket. Its download links are dated by `now` (else the real
 * clock): pass the engine's clock, so that links and the downloads' records agree on when a link expires.
 */
export async function makeStore(
  kind: StoreKind,
  s3?: S3rverPeer,
  options: { now?: () => Date } = {},
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const { now } = options;
  if (kind === 's3') {
    if (!s3) throw new Error('an S3 store needs the s3rver peer');
    const bucket = await s3.createBucket('engine');
    return { store: new S3Store({ client: s3.client, bucket, prefix: 'backstop/', now }), cleanup: async () => {} };
  }
  const root = await mkdtemp(join(tmpdir(), 'backstop-store-'));
  const links = new DownloadLinkSigner({ publicUrl: 'http://127.0.0.1:8080', secret: 'x'.repeat(32), now });
  return { store: new FsStore({ root, links }), cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface TestEngine {
  ctx: UseCaseContext;
  state: State;
  identity: string;
  logs: string[];
  close(): Promise<void>;
}

/**
 * An engine over embedded state in a temp directory, the given store and targets, with a fresh age key and sources
 * built from the targets like the composition root does (PostgresSource, MediaDirSource).
 */
export async function makeEngine(options: {
  store: Store;
  targets: Target[];
  sourceFor?: (target: Target, kind: 'db' | 'media') => Source;
  clock?: () => Date;
  linkTtlSeconds?: number;
  mailer?: Mailer;
  people?: Record<string, string>;
  /**
   * The `access:` grants per app. Default: every role to everyone (`*`) on every app of the targets, for tests that
   * are not about who may do what.
   */
  access?: ConfigFile['apps'];
  /** The age identity (default: a fresh one), e.g. another engine's, as after its state was lost. */
  identity?: string;
  /** Where drills make their scratch directories (default: the system's, as in the engine). */
  drillScratchDir?: string;
}): Promise<TestEngine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'backstop-engine-'));
  const state = await openState({ databaseUrl: undefined, dataDir });
  await migrateToLatest(state.db);
  const identity = options.identity ?? generateIdentity().identity;
  const logs: string[] = [];
  const ctx: UseCaseContext = {
    catalog: new Catalog(state.db, () => newId(), 'test'),
    operations: new OperationQueue(state.db, () => newId()),
    events: new EventLog(state.db),
    downloads: new DownloadBook(state.db, () => newId()),
    access: options.access
      ? AccessPolicy.fromConfig(options.access)
      : new AccessPolicy(
          Object.fromEntries(
            options.targets.map((t) => [t.app, { viewer: ['*'], operator: ['*'], restorer: ['*'], approver: ['*'] }]),
          ),
        ),
    audit: new AuditLog(state.db),
    requests: new RestoreRequests(state.db, () => newId()),
    approvalTtlMs: 30 * 60 * 1000,
    mailer: options.mailer,
    people: options.people ?? {},
    linkTtlSeconds: options.linkTtlSeconds ?? 24 * 3600,
    store: options.store,
    recipients: async () => [recipientOf(identity)],
    identities: async () => [identity],
    targets: options.targets,
    sourceFor:
      options.sourceFor ??
      ((target, kind) => {
        if (kind === 'db') {
          if (target.database === undefined) {
            const message = `${target.app}/${target.env} has no database configured`;
            throw new BackstopError('part-not-configured', message, { userMessage: message });
          }
          return new PostgresSource({ url: target.database });
        }
        if (target.media?.type !== 'dir') throw new Error('test targets keep media in directories');
        return new MediaDirSource({ path: target.media.path });
      }),
    ...(options.drillScratchDir !== undefined && { drillScratchDir: options.drillScratchDir }),
    clock: options.clock ?? (() => new Date()),
    log: (line) => logs.push(line),
  };
  return {
    ctx,
    state,
    identity,
    logs,
    close: async () => {
      await state.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A worker (not started) over the engine's queue with the engine's runners and clock, a silent log and quick test
 * timings; `overrides` replace any of these.
 */
export function engineWorker(ctx: UseCaseContext, overrides?: Partial<WorkerOptions>): Worker;
export function engineWorker(
  ctx: JobsContext,
  overrides: Partial<WorkerOptions> & Pick<WorkerOptions, 'runners'>,
): Worker;
export function engineWorker(ctx: UseCaseContext | JobsContext, overrides: Partial<WorkerOptions> = {}): Worker {
  return new Worker({
    queue: ctx.operations,
    runners: overrides.runners ?? engineRunners(ctx as UseCaseContext),
    concurrency: 2,
    leaseMs: 5000,
    heartbeatMs: 100,
    pollMs: 20,
    clock: ctx.clock,
    log: () => {},
    ...overrides,
  });
}

/** A target in the shape the config loader produces. */
export function target(
  app: string,
  env: string,
  parts: { database?: string; mediaDir?: string },
  isProtected = false,
): Target {
  return {
    app,
    env,
    protected: isProtected,
    schedule: 'off',
    retention: defaultRetentionPolicy,
    ...(parts.database !== undefined && { database: parts.database }),
    ...(parts.mediaDir !== undefined && { media: { type: 'dir' as const, path: parts.mediaDir } }),
  };
}

/** Takes an on-demand backup of `parts` of shop/live (or the given target) at once, without a worker. */
export async function takeBackup(
  ctx: UseCaseContext,
  parts: 'db' | 'media' | 'db+media',
  which: { app: string; env: string } = { app: 'shop', env: 'live' },
): Promise<Backup> {
  const queued = await queueBackup(ctx, { ...which, trigger: 'on-demand', parts, note: null, requestedBy: 'test' });
  return runBackup(ctx, queued.id);
}
