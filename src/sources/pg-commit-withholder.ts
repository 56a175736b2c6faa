import { Transform, type TransformCallback } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';

/** Far more than pg_restore writes after its final COMMIT (a comment and `\unrestrict <key>`). */
const HELD_BYTES = 4096;

const FINAL_COMMIT = Buffer.from('\nCOMMIT;\n');

/** What pg_restore writes after its final COMMIT: blank lines, `--` comments and psql's `\unrestrict <key>`. */
const TRAILER = /^(?:\n|--[^\n]*\n|\\unrestrict [^\n]*\n)*$/;

/**
 * Passes the SQL of `pg_restore --single-transaction -f -` through, minus its final `COMMIT;`, so that the caller
 * alone decides whether the restore commits.
 *
 * Why pg_restore runs with --single-transaction at all: without it, pg_restore wraps large objects in their own
 * `BEGIN; ... COMMIT;`, and that COMMIT would commit the caller's transaction halfway through the dump. With it,
 * the only transaction control it writes is one BEGIN near the start (a harmless warning inside the caller's
 * transaction) and this final COMMIT, which is held back: the last bytes are kept until the end of the output,
 * where the COMMIT must be followed only by the known trailer, else the stream fails.
 */
export class PgCommitWithholder extends Transform {
  #held = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = Buffer.concat([this.#held, chunk]);
    const release = Math.max(0, data.length - HELD_BYTES);
    this.#held = data.subarray(release);
    callback(null, release > 0 ? data.subarray(0, release) : undefined);
  }

  override _flush(callback: TransformCallback): void {
    const held = this.#held;
    const commit = held.lastIndexOf(FINAL_COMMIT);
    const trailer = commit < 0 ? '' : held.subarray(commit + FINAL_COMMIT.length).toString('utf8');
    if (commit < 0 || !TRAILER.test(trailer)) {
      callback(
        new BackstopError('pg-restore-output-unexpected', 'pg_restore output did not end with its COMMIT', {
          userMessage: 'The database restore failed: pg_restore did not finish its output.',
        }),
      );
      return;
    }
    callback(null, Buffer.concat([held.subarray(0, commit + 1), Buffer.from(trailer)]));
  }
}
