import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AccessPolicy } from '../src/access/access-policy.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { durationSeconds } from '../src/config/config-schema.ts';
import { readIdentityFiles, recipientOf } from '../src/crypto/index.ts';
import { BackstopError } from '../src/domain/backstop-error.ts';
import { newId } from '../src/domain/new-id.ts';
import type { PartKind } from '../src/domain/part-kind.ts';
import { reasonOf } from '../src/domain/reason-of.ts';
import { type Target, targetName } from '../src/domain/target.ts';
import { agreeOnFleetKeys } from '../src/engine/fleet-keys.ts';
import { OperationQueue } from '../src/jobs/operation-queue.ts';
import { createSmtpMailer } from '../src/notify/mailer.ts';
import { defaultRetryPolicy, type RetryTools, realRetryTools } from '../src/retry/retry-policy.ts';
import { readCodeVersion } from '../src/sources/code-version-reader.ts';
import { MediaDirSource } from '../src/sources/media-dir-source.ts';
import { PostgresSource } from '../src/sources/postgres-source.ts';
import { RetryingSource } from '../src/sources/retrying-source.ts';
import type { Source } from '../src/sources/source.ts';
import { AuditLog } from '../src/state/audit-log.ts';
import { Catalog } from '../src/state/catalog.ts';
import { DownloadBook } from '../src/state/download-book.ts';
import { EventLog } from '../src/state/event-log.ts';
import { FleetSettings } from '../src/state/fleet-settings.ts';
import { RestoreRequests } from '../src/state/restore-requests.ts';
import type { State } from '../src/state/state.ts';
import { DownloadLinkSigner } from '../src/storage/download-link-signer.ts';
import { FsStore } from '../src/storage/fs-store.ts';
import { RetryingStore } from '../src/storage/retrying-store.ts';
import type { Store } from '../src/storage/store.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';
import { ensureGeneratedIdentity, ensureSecretFile } from './local-secrets.ts';
import { toolVersion } from './tool-version.ts';

/**
 * The composition root of the engine: picks the concrete store, sources and keys the configuration names. This is
 * the only place that knows which drivers exist.
 */
export async function composeEngine(
  config: BackstopConfig,
  state: State,
  hooks: {
    /** Progress of the engine's work, for the log (the CLI shows it with --verbose). */
    log: (line: string) => void;
    /** What a person must read now, whatever the verbosity (a key was generated). */
    notice: (line: string) => void;
    clock?: () => Date;
    /**
     * A person waits at a terminal for this process's own work: a store or database that is away is tried again for
     * about 20 s (not the minute a server rides out), so a wrong port is reported while they still wait.
     */
    interactive?: boolean;
    /** The environment `codeVersion: { env }` reads and `{ command }` runs with; default this process's. */
    env?: NodeJS.ProcessEnv;
  },
): Promise<UseCaseContext> {
  // The AWS SDK takes a noticeable time to load: only when the configuration names a bucket.
  const s3 = usesS3(config) ? await import('./s3-drivers.ts') : undefined;
  const clock = hooks.clock ?? (() => new Date());
  const identities = lazy(async () => {
    if (config.encryption.generated) {
      const { created } = ensureGeneratedIdentity(config.encryption.identityFiles[0]!, clock());
      if (created) {
        hooks.notice(
          `Generated a new encryption key in ${config.encryption.identityFiles[0]}. Keep a copy somewhere safe: ` +
            'without it no backup can be decrypted.',
        );
      }
    }
    return readIdentityFiles(config.encryption.identityFiles);
  });
  const recipients = lazy(async () =>
    config.encryption.recipientsFromIdentities ? (await identities()).map(recipientOf) : config.encryption.recipients,
  );
  if (config.stateDatabaseUrl !== undefined) {
    // Shared state: this instance must agree with the others on keys before it does anything (see agreeOnFleetKeys).
    const added = await agreeOnFleetKeys(
      new FleetSettings(state.db),
      { recipients: await recipients(), identities: await identities() },
      clock(),
    );
    if (added.length > 0)
      hooks.notice(`Added ${added.join(', ')} to the keys every instance sharing the state encrypts to.`);
  }
  const retryPolicy = hooks.interactive ? { ...defaultRetryPolicy, budgetMs: 20_000 } : defaultRetryPolicy;
  const retryTools: RetryTools = {
    ...realRetryTools,
    onRetry: (error, attempt, waitMs) =>
      hooks.notice(`${reasonOf(error)} Trying again in ${(waitMs / 1000).toFixed(1)} s (attempt ${attempt + 1}).`),
  };
  // Built once, here: a misconfigured source is refused now, not when a backup of it starts.
  const sources = new Map<string, Source>();
  for (const target of config.targets) {
    for (const kind of ['db', 'media'] as const) {
      const source = createOrRefuse(target, kind, s3);
      if (source) {
        sources.set(sourceKey(target, kind), new RetryingSource(source, { tools: retryTools, policy: retryPolicy }));
      }
    }
  }
  return {
    catalog: new Catalog(state.db, () => newId(), toolVersion),
    operations: new OperationQueue(state.db, () => newId(), config.raw.workers?.maxAttempts),
    events: new EventLog(state.db),
    downloads: new DownloadBook(state.db, () => newId()),
    linkTtlSeconds: config.downloads.linkTtlSeconds,
    access: AccessPolicy.fromConfig(config.raw.apps),
    audit: new AuditLog(state.db),
    requests: new RestoreRequests(state.db, () => newId()),
    approvalTtlMs: durationSeconds(config.raw.chat?.approvalTtl ?? '30m') * 1000,
    mailer: config.email ? createSmtpMailer(config.email) : undefined,
    people: config.people,
    store: new RetryingStore(createStore(config, s3, await linkSecret(config, state, clock())), {
      tools: retryTools,
      policy: retryPolicy,
    }),
    recipients,
    identities,
    targets: config.targets,
    sourceFor: (target, kind) => {
      const source = sources.get(sourceKey(target, kind));
      if (source === undefined) throw notConfigured(target, kind === 'db' ? 'database' : 'media');
      return source;
    },
    codeVersionOf: async (target) =>
      target.codeVersion === undefined
        ? undefined
        : readCodeVersion(target.codeVersion, { env: hooks.env ?? process.env }),
    // Under the data directory rather than the system's temporary one: a media restore needs the room of the media.
    drillScratchDir: join(config.dataDir, 'drills'),
    clock,
    log: hooks.log,
    warn: hooks.notice,
  };
}

type S3Drivers = typeof import('./s3-drivers.ts');

/**
 * The secret download links are signed with: the config's `downloads.linkSecret`; else, with shared state, the one
 * the first instance recorded there (every instance must accept the links any of them makes); else a file under the
 * data directory, made on first use (none for a state in memory).
 */
async function linkSecret(config: BackstopConfig, state: State, now: Date): Promise<string> {
  if (config.downloads.linkSecret !== undefined) return config.downloads.linkSecret;
  // An empty state in memory holds no download to link to, and must leave nothing on disk.
  if (state.inMemory) return randomBytes(32).toString('base64url');
  if (config.stateDatabaseUrl === undefined) return ensureSecretFile(join(config.dataDir, 'keys', 'link-secret'));
  return new FleetSettings(state.db).settle('link-secret', randomBytes(32).toString('base64url'), now);
}

function usesS3(config: BackstopConfig): boolean {
  return config.storage.type === 's3' || config.targets.some((target) => target.media?.type === 's3');
}

function createStore(config: BackstopConfig, s3: S3Drivers | undefined, linkSecret: string): Store {
  if (config.storage.type === 's3') {
    const { bucket, prefix, storageClass, serverSideEncryption, kmsKeyId } = config.storage;
    return new s3!.S3Store({
      client: s3!.createS3Client(config.storage),
      bucket,
      prefix,
      storageClass,
      ...(serverSideEncryption !== undefined && { serverSideEncryption }),
      ...(kmsKeyId !== undefined && { kmsKeyId }),
    });
  }
  const http = config.raw.http;
  const publicUrl = http?.publicUrl ?? `http://${http?.host ?? '127.0.0.1'}:${http?.port ?? 8080}`;
  return new FsStore({
    root: config.storage.path,
    links: new DownloadLinkSigner({ publicUrl, secret: linkSecret }),
  });
}

/** The source, or a configuration error that names where in the config it is set up wrong. */
function createOrRefuse(target: Target, kind: PartKind, s3: S3Drivers | undefined): Source | undefined {
  try {
    return createSource(target, kind, s3);
  } catch (error) {
    if (!(error instanceof BackstopError)) throw error;
    const where = `apps.${target.app}.environments.${target.env}.${kind === 'db' ? 'database' : 'media'}`;
    const message = `${where}: ${error.userMessage ?? error.message}`;
    throw new BackstopError('config-invalid', message, { userMessage: message, cause: error });
  }
}

function sourceKey(target: Target, kind: PartKind): string {
  return `${targetName(target)}:${kind}`;
}

/** The driver of one part of a target, or undefined when the target has no such part. */
function createSource(target: Target, kind: PartKind, s3: S3Drivers | undefined): Source | undefined {
  if (kind === 'db') {
    if (target.database === undefined) return undefined;
    return new PostgresSource({
      url: target.database,
      ...(target.compression !== undefined && { compression: target.compression }),
      ...(target.excludeTableData !== undefined && { excludeTableData: target.excludeTableData }),
    });
  }
  if (target.media === undefined) return undefined;
  if (target.media.type === 'dir') return new MediaDirSource({ path: target.media.path });
  return new s3!.MediaS3Source({
    client: s3!.createS3Client(target.media.connection),
    bucket: target.media.bucket,
    prefix: target.media.prefix,
  });
}

function notConfigured(target: Target, what: 'database' | 'media'): BackstopError {
  const parts = what === 'database' ? 'media' : 'db';
  const message =
    `${targetName(target)} has no ${what} configured: add ${what}: to apps.${target.app}.environments.${target.env} ` +
    `in the config, or ask for the ${parts} part only.`;
  return new BackstopError('part-not-configured', message, { userMessage: message });
}

/** Runs `load` once, on first call, and shares its promise; a failed load is tried again on the next call. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= load().catch((error: unknown) => {
      promise = undefined;
      throw error;
    });
    return promise;
  };
}
