import type { Target } from '../domain/target.ts';
import type { ConfigFile, S3StorageConfig } from './config-schema.ts';
import type { EmailAlertEndpoint } from './email-alert-config.ts';
import type { HttpDrain } from './http-drain.ts';
import type { WebhookEndpoint } from './webhook-config.ts';

/** The validated configuration with defaults applied and relative paths made absolute. Holds secrets: never print. */
export interface BackstopConfig {
  /** The file it was read from, or undefined for built-in defaults. */
  source: string | undefined;
  /** With built-in defaults: the file that was looked for and not found, for telling the person so. */
  lookedFor?: string;
  dataDir: string;
  /** PostgreSQL for Backstop's own state; undefined means the embedded SQLite state under dataDir. */
  stateDatabaseUrl: string | undefined;
  storage: { type: 'dir'; path: string } | ({ type: 's3' } & S3StorageConfig);
  encryption: {
    /** The recipients listed in the config; empty when they are the identities' own (see recipientsFromIdentities). */
    recipients: string[];
    identityFiles: string[];
    /** True when every part is encrypted to the identities' own public keys (no recipients listed, or generated). */
    recipientsFromIdentities: boolean;
    /** True when no encryption section was given: a key is generated under dataDir on first use. */
    generated: boolean;
  };
  targets: Target[];
  raw: ConfigFile;
  downloads: { linkTtlSeconds: number; linkSecret: string | undefined };
  /** SMTP settings for download links; undefined when email is not configured. */
  email: ConfigFile['email'];
  /** Email addresses by principal (slack:U1, cli:ana). */
  people: Record<string, string>;
  /** Webhook endpoints, with defaults applied. */
  webhooks: WebhookEndpoint[];
  /** Where failed and missed backups are emailed, per app (`notify.email`). */
  emailAlerts: EmailAlertEndpoint[];
  /** How serve stops its HTTP side (http.drain), with defaults applied. */
  httpDrain: HttpDrain;
}
