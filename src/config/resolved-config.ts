import { DEFAULT_PG_COMPRESSION, describePgCompression } from '../domain/pg-compression.ts';
import { targetName } from '../domain/target.ts';
import type { BackstopConfig } from './backstop-config.ts';

/**
 * The configuration as Backstop will run it, in the shape of backstop.yaml: `${VAR}` read, defaults filled in
 * (each environment's schedule, retention and compression included, whether set on it, on its app or nowhere),
 * relative paths made absolute, DATABASE_URL and the pod's drain delay taken into account. It is valid config again.
 * Holds secrets: pass it through `redactConfig` before showing it.
 */
export function resolvedConfig(config: BackstopConfig): Record<string, unknown> {
  const raw = config.raw;
  const { type: _storageType, ...storage } = config.storage;
  const apps = Object.fromEntries(
    Object.entries(raw.apps).map(([app, appConfig]) => {
      const { compressionLevel: _appLevel, compression: appCompression, ...appRest } = appConfig;
      const environments = Object.fromEntries(
        Object.entries(appConfig.environments).map(([env, envConfig]) => {
          const target = config.targets.find((t) => targetName(t) === `${app}/${env}`)!;
          const { compressionLevel: _level, compression: _compression, ...envRest } = envConfig;
          const media = target.media;
          return [
            env,
            {
              ...envRest,
              ...(media?.type === 'dir' && { media: media.path }),
              ...(media?.type === 's3' && { mediaS3: media.connection }),
              schedule: target.schedule,
              retention: { onDemand: target.retention.onDemand, scheduled: target.retention.scheduled },
              compression: describePgCompression(target.compression ?? DEFAULT_PG_COMPRESSION),
            },
          ];
        }),
      );
      return [
        app,
        {
          ...appRest,
          ...(appCompression !== undefined && { compression: describePgCompression(appCompression) }),
          environments,
        },
      ];
    }),
  );
  return withoutUndefined({
    dataDir: config.dataDir,
    database: config.stateDatabaseUrl,
    storage: config.storage.type === 'dir' ? { dir: config.storage.path } : { s3: storage },
    encryption: {
      recipients: config.encryption.recipientsFromIdentities ? undefined : config.encryption.recipients,
      identities: config.encryption.identityFiles,
    },
    apps,
    downloads: { linkTtl: raw.downloads?.linkTtl ?? '24h', linkSecret: raw.downloads?.linkSecret },
    http: {
      port: raw.http?.port ?? 8080,
      host: raw.http?.host ?? '127.0.0.1',
      publicUrl: raw.http?.publicUrl,
      drain: { delay: `${config.httpDrain.delaySeconds}s`, deadline: `${config.httpDrain.deadlineSeconds}s` },
    },
    workers: { concurrency: 2, leaseSeconds: 30, maxAttempts: 3, ...raw.workers },
    logs: { format: raw.logs?.format ?? 'auto' },
    email: raw.email,
    people: raw.people,
    chat: raw.chat,
    webhooks: raw.webhooks,
    web: raw.web,
  });
}

/** Drops keys whose value is undefined, at every depth (YAML would print them as null). */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [key, withoutUndefined(item)]),
  ) as T;
}
