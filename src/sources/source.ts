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
 * - `tablesWithoutRows`, where a source has it, names the tables (`schema.table`) whose rows the plaintext `open`
 *   makes now leaves out (a database part's `excludeTableData`): they are in the plaintext, empty, and a restore
 *   leaves them empty. A source that leaves nothing out has no such method, or answers an empty list.
 */
export interface Source {
  readonly kind: PartKind;
  open(options?: { signal?: AbortSignal; onProgress?: ProgressListener }): Readable;
  restore(
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary>;
  describe(): Promise<string>;
  exists(): Promise<boolean>;
  tablesWithoutRows?(): Promise<string[]>;
}
