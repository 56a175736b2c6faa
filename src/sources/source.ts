import type { Readable } from 'node:stream';
import type { PartKind } from '../domain/part-kind.ts';

/** The parts a backup may hold. */

/** Progress of a long step, for progress bars and operation rows. */
export interface Progress {
  phase: string;
  bytesDone: number;
  bytesExpected?: number;
}

export type ProgressListener = (progress: Progress) => void;

/** What a part's plaintext holds, where the source can tell: a database part's tables and their row counts. */
export interface PartContents {
  /** Each table (`schema.table`) and its exact row count in the plaintext. */
  tableRows?: Record<string, number>;
  /** Tables the plaintext holds without their rows (`excludeTableData`): a restore leaves them empty. */
  tablesWithoutRows?: string[];
  /** `excludeTableData` patterns that matched no table. */
  unmatchedPatterns?: string[];
}

export interface OpenOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Told what the plaintext holds, before the stream ends (by a source that can tell). */
  onContents?: (contents: PartContents) => void;
}

/** What a restore did, in figures a person can read ("412 files, 1.2 GB"). */
export interface RestoreSummary {
  description: string;
  [detail: string]: unknown;
}

/**
 * One part of one application environment (its database, its media) that can be read into a portable plaintext
 * (a pg_dump custom-format file, a media tar with manifest) and made equal to such a plaintext again.
 *
 * Contract:
 * - `open` starts reading the source and returns the plaintext stream at once. The stream ENDS only when the source
 *   was read completely and successfully (e.g. pg_dump exited 0); any failure DESTROYS it with a BackstopError whose
 *   `userMessage` says what went wrong. Aborting `signal` stops the work and destroys the stream.
 * - `restore` consumes `input` (a plaintext this kind of source produced) and makes the destination equal to it:
 *   afterwards it holds exactly what the plaintext holds, nothing more. It is all or nothing: the destination is
 *   changed only after `input` ended without error, the plaintext was checked completely, and `beforeCommit()`
 *   resolved (the caller checks the plaintext's hash there). If `input` errors, `beforeCommit` rejects, or anything
 *   else fails, `restore` rejects and the destination is unchanged.
 * - `describe` says in a few words what a restore would overwrite ("database shop_staging on db.internal:5432").
 * - `exists` is false when there is nothing there yet that a restore could overwrite (a media directory that was
 *   never created), so the safety backup before a restore skips it instead of failing; true otherwise.
 * - A source that can tell what its plaintext holds (a database's tables and their row counts, as of the very snapshot
 *   the dump is) calls `onContents` with it once, before the stream ends; the stream fails instead if it cannot.
 */
export interface Source {
  readonly kind: PartKind;
  open(options?: OpenOptions): Readable;
  restore(
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary>;
  describe(): Promise<string>;
  exists(): Promise<boolean>;
}
