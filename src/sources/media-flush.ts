import { execFile } from 'node:child_process';
import { BackstopError } from '../domain/backstop-error.ts';

/**
 * Writes everything cached for the filesystem holding `path` to disk: syncfs(2), through coreutils `sync -f`, as
 * Node only offers fsync per file. A restore calls it before swapping the staged files in, so that a crash after the
 * swap cannot leave empty or partial files; fsyncing 10,000 small files one by one takes ~10 times longer.
 */
export function flushFilesystem(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', path], (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = stderr.trim() || error.message;
      reject(
        new BackstopError('media-restore-failed', `sync -f ${path} failed: ${detail}`, {
          userMessage: 'The restored media could not be flushed to disk; nothing was changed.',
          cause: error,
        }),
      );
    });
  });
}
