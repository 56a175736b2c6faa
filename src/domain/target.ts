import type { PartsChoice } from './part-kind.ts';
import type { PgCompression } from './pg-compression.ts';
import type { RetentionPolicy } from './retention-policy.ts';

/** How to reach an S3-compatible endpoint: a bucket of backups, or a bucket a site keeps its media in. */
export interface S3Connection {
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
  /** Durations as the config writes them (`10s`): to open a connection, and without a byte moving either way. */
  timeouts: { connect: string; idle: string };
}

/** Where a target's media lives. */
export type MediaLocation =
  | { type: 'dir'; path: string }
  | { type: 's3'; bucket: string; prefix: string; connection: S3Connection };

/** An environment variable of the process taking the backup, or a command it runs (its first line of output). */
export type CodeVersionSource = { env: string } | { command: string };

/** When a target is backed up on its own: a cron in an IANA time zone, and what it backs up. */
export type Schedule = 'off' | { cron: string; timezone: string; parts: PartsChoice };

/** Restore drills of a target's backups: SQL assertions to check, and when drills run on their own. */
export interface DrillSettings {
  /** SQL queries run in the restored scratch database; each must return true. */
  checks: readonly string[];
  schedule: 'off' | { cron: string; timezone: string };
  /** A PostgreSQL URL whose server holds the drills' scratch databases, instead of the target's own server. */
  server?: string;
}

/** One application environment, `shop/live`. */
export interface Target {
  app: string;
  env: string;
  database?: string;
  media?: MediaLocation;
  protected: boolean;
  /** How pg_dump compresses the database part; default DEFAULT_PG_COMPRESSION. */
  compression?: PgCompression;
  /** pg_dump patterns of tables whose rows the database part leaves out (the tables are kept, empty). */
  excludeTableData?: readonly string[];
  /** Where the process taking a backup reads the application's code version, recorded with the backup. */
  codeVersion?: CodeVersionSource;
  schedule: Schedule;
  /** Restore drills (no checks and no schedule when absent). */
  drill?: DrillSettings;
  /** What to keep of this target's backups: the environment's policy, else the app's, else the defaults. */
  retention: RetentionPolicy;
}

/**
 * The PostgreSQL URL drills of `target` restore onto: its drill server when configured, else its own database's
 * server (the scratch database is named by the drill; the URL's database is only where to connect first).
 */
export function drillServerUrl(target: Pick<Target, 'database' | 'drill'> | undefined): string | undefined {
  return target?.drill?.server ?? target?.database;
}

/** `shop/live`. */
export function targetName(target: { app: string; env: string }): string {
  return `${target.app}/${target.env}`;
}

/** Every part a target has configured: its database, its media, or both. */
export function configuredParts(target: { database?: unknown; media?: unknown }): PartsChoice {
  if (target.database !== undefined && target.media !== undefined) return 'db+media';
  return target.database !== undefined ? 'db' : 'media';
}
