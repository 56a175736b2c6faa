/**
 * Runs one Backstop operation through the engine (the same runBackup/runRestore the CLI uses) and prints
 * {"seconds": ...} for the operation alone, so start-up does not blur the comparison with a shell pipeline.
 * The state lives in PostgreSQL (the shared-state configuration), the store is a directory.
 *
 *   backstop-run.ts backup  <stateUrl> <storeDir> <identityFile> <db|media> <dbUrl|mediaDir> [compression] [uncounted]
 *   (`uncounted`: the database part without counting each table's rows, to measure what counting costs)
 *   backstop-run.ts restore <stateUrl> <storeDir> <identityFile> <backupId> <db|media> <dbUrl|mediaDir>
 *   backstop-run.ts drill   <stateUrl> <storeDir> <identityFile> <backupId> db <dbUrl>
 *   (a drill of a database backup: restored into a scratch database on dbUrl's server, every table's rows counted
 *   against the recorded counts, the scratch database dropped; prints {"seconds", "status", "error"})
 */
import { readIdentityFiles, recipientOf } from '../src/crypto/index.ts';
import { newId } from '../src/domain/new-id.ts';
import { type PgCompression, parsePgCompression } from '../src/domain/pg-compression.ts';
import { queueBackup, runBackup } from '../src/engine/run-backup.ts';
import { runDrill } from '../src/engine/run-drill.ts';
import { queueRestore, runRestore } from '../src/engine/run-restore.ts';
import { OperationQueue } from '../src/jobs/operation-queue.ts';
import { defaultRetentionPolicy } from '../src/retention/retention-policy.ts';
import { MediaDirSource } from '../src/sources/media-dir-source.ts';
import { PostgresSource } from '../src/sources/postgres-source.ts';
import { Catalog } from '../src/state/catalog.ts';
import { DownloadBook } from '../src/state/download-book.ts';
import { EventLog } from '../src/state/event-log.ts';
import { migrateToLatest, openState } from '../src/state/state.ts';
import { DownloadLinkSigner } from '../src/storage/download-link-signer.ts';
import { FsStore } from '../src/storage/fs-store.ts';

const [operation, stateUrl, storeDir, identityFile, ...rest] = process.argv.slice(2);
if (!operation || !stateUrl || !storeDir || !identityFile) throw new Error('usage: see the comment at the top');

const state = await openState({ databaseUrl: stateUrl, dataDir: '/nonexistent' });
await migrateToLatest(state.db);
const identities = await readIdentityFiles([identityFile]);

function engineFor(kind: string, location: string, compression?: PgCompression, countRows = true) {
  const target = {
    app: 'bench',
    env: 'main',
    ...(kind === 'db' && { database: location }),
    protected: false,
    schedule: 'off' as const,
    retention: defaultRetentionPolicy,
  };
  return {
    catalog: new Catalog(state.db, () => newId(), 'bench'),
    operations: new OperationQueue(state.db, () => newId()),
    events: new EventLog(state.db),
    downloads: new DownloadBook(state.db, () => newId()),
    mailer: undefined,
    people: {},
    linkTtlSeconds: 24 * 3600,
    store: new FsStore({
      root: storeDir!,
      links: new DownloadLinkSigner({ publicUrl: 'http://127.0.0.1', secret: 'b'.repeat(32) }),
    }),
    recipients: async () => identities.map(recipientOf),
    identities: async () => identities,
    targets: [target],
    sourceFor: () =>
      kind === 'db'
        ? new PostgresSource({ url: location, countRows, ...(compression !== undefined && { compression }) })
        : new MediaDirSource({ path: location }),
    clock: () => new Date(),
    log: () => {},
  };
}

let result: Record<string, unknown>;
if (operation === 'backup') {
  const [kind, location, compressionText, counting] = rest;
  const compression = compressionText === undefined ? undefined : parsePgCompression(compressionText);
  if (compression !== undefined && 'problem' in compression) throw new Error(compression.problem);
  const ctx = engineFor(kind!, location!, compression, counting !== 'uncounted');
  const queued = await queueBackup(ctx, {
    app: 'bench',
    env: 'main',
    trigger: 'on-demand',
    parts: kind!,
    note: null,
    requestedBy: null,
  });
  const started = performance.now();
  const backup = await runBackup(ctx, queued.id);
  result = {
    seconds: (performance.now() - started) / 1000,
    backupId: backup.id,
    storedBytes: backup.storedParts[0]?.storedSizeBytes,
  };
} else if (operation === 'restore') {
  const [backupId, kind, location] = rest;
  const ctx = engineFor(kind!, location!);
  const queued = await queueRestore(ctx, { backupId: backupId!, parts: kind!, safetyBackup: false, requestedBy: null });
  const started = performance.now();
  await runRestore(ctx, queued.id);
  result = { seconds: (performance.now() - started) / 1000 };
} else if (operation === 'drill') {
  const [backupId, kind, location] = rest;
  const ctx = engineFor(kind!, location!);
  const drill = await ctx.catalog.drills.insert(
    { backupId: backupId!, app: 'bench', env: 'main', requestedBy: null },
    new Date(),
  );
  const started = performance.now();
  const ended = await runDrill(ctx, drill!.id, { lease: { operationId: newId(), generation: 1 } });
  result = { seconds: (performance.now() - started) / 1000, status: ended.status, error: ended.error };
} else {
  throw new Error(`unknown operation ${operation}`);
}
await state.close();
console.log(JSON.stringify(result));
