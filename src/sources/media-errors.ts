import { BackstopError } from '../domain/backstop-error.ts';

/** A path as it may appear in a message: quoted, escaped and cut short, since it may come from an untrusted tar. */
export function quote(path: string): string {
  const shown = path.length > 160 ? `${path.slice(0, 80)}…${path.slice(-80)}` : path;
  return JSON.stringify(shown);
}

/** A tar entry that could write outside the destination or is not part of the format: a link, a device, `..`. */
export function unsafeEntry(name: string, problem: string): BackstopError {
  return new BackstopError('media-unsafe-entry', `media tar rejected: entry ${quote(name)}: ${problem}`, {
    userMessage: `The media backup contains an unsafe entry ${quote(name)} (${problem}) and was not restored.`,
  });
}

/** The tar and its manifest disagree, or the manifest is malformed. */
export function mismatch(problem: string, cause?: unknown): BackstopError {
  return new BackstopError('media-manifest-mismatch', `media tar rejected: ${problem}`, {
    userMessage: `The media backup is inconsistent and was not restored: ${problem}.`,
    cause,
  });
}

/**
 * A file gave a different number of bytes than its size said. The tar header carrying the size is already out, so
 * the backup cannot go on; trying again usually works once the file stopped changing.
 */
export function changed(path: string, expected: number, actual: string): BackstopError {
  return new BackstopError(
    'media-changed',
    `media file ${quote(path)} changed while it was read: expected ${expected} bytes, got ${actual}`,
    { userMessage: `The media file ${quote(path)} changed while it was backed up; try again.`, retryable: true },
  );
}

/** A source file or directory that exists but cannot be read: the backup would be incomplete, so it fails. */
export function unreadable(path: string, cause: unknown): BackstopError {
  return new BackstopError('media-unreadable', `cannot read media ${quote(path)}: ${String(cause)}`, {
    userMessage: `The media file ${quote(path)} cannot be read (${errorCode(cause)}).`,
    cause,
  });
}

/** Writing the restored files failed (disk full, permissions, a name the destination cannot hold). */
export function restoreFailed(where: string, cause: unknown): BackstopError {
  return new BackstopError('media-restore-failed', `media restore failed at ${quote(where)}: ${String(cause)}`, {
    userMessage: `Restoring the media failed at ${quote(where)} (${errorCode(cause)}); nothing was changed.`,
    cause,
  });
}

/** True for the errors node:fs raises, which carry the failed system call. */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

function errorCode(error: unknown): string {
  return isFsError(error) && error.code !== undefined ? error.code : 'see the log';
}

/** The caller aborted the backup or restore (its `signal`). */
export function aborted(work: 'backup' | 'restore', reason: unknown): BackstopError {
  const outcome = work === 'restore' ? '; nothing was changed' : '';
  return new BackstopError('media-aborted', `media ${work} aborted`, {
    userMessage: `The media ${work} was cancelled${outcome}.`,
    cause: reason,
  });
}
