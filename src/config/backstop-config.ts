import type { WebhookEndpoint } from '../notify/webhook-config.ts';
import type { RetentionPolicy } from '../retention/retention-policy.ts';
import type { ConfigFile, PartsChoice, S3ConnectionConfig, S3StorageConfig } from './config-schema.ts';

/** Where a target's media lives. */
export type MediaLocation =
  | { type: 'dir'; path: string }
  | { type: 's3'; bucket: string; prefix: string; connection: S3ConnectionConfig };

/** One application environment, `shop/live`. */
export interface Target {
  app: string;
  env: string;
  database?: string;
  media?: MediaLocation;
  protected: boolean;
  compressionLevel?: number;
  schedule: 'off' | { cron: string; timezone: string; parts: PartsChoice };
  /** What to keep of this target's backups: the environment's policy, else the app's, else the defaults. */
  retention: RetentionPolicy;
}

/** The validated configuration with defaults applied and relative paths made absolute. Holds secrets: never print. */
export interface BackstopConfig {
  /** The file it was read from, or undefined for built-in defaults. */
  source: string | undefined;
  dataDir: string;
  /** PostgreSQL for Backstop's own state; undefined means embedded PGlite under dataDir. */
  stateDatabaseUrl: string | undefined;
  storage: { type: 'dir'; path: string } | ({ type: 's3' } & S3StorageConfig);
  encryption: {
    recipients: string[];
    identityFiles: string[];
    /** True when no encryption section was given: a key is generated under dataDir on first use. */
    generated: boolean;
  };
  targets: Target[];
  raw: ConfigFile;
  downloads: { linkTtlSeconds: number };
  /** SMTP settings for download links; undefined when email is not configured. */
  email: ConfigFile['email'];
  /** Email addresses by principal (slack:U1, cli:ana). */
  people: Record<string, string>;
  /** Webhook endpoints, with defaults applied. */
  webhooks: WebhookEndpoint[];
}

export function targetName(target: { app: string; env: string }): string {
  return `${target.app}/${target.env}`;
}
