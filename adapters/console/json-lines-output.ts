import { Writable } from 'node:stream';
import type { Operation } from '../../src/domain/operation.ts';

/**
 * The output of `--progress json`, as `restic --json` writes it: while work runs, one JSON object a line for each
 * change of its progress (`event`), then one last line with the result. The command writes its result as it would
 * with --json, into `stdout` here (collected, not shown); `finish` writes it as
 * `{"type":"result","exitStatus":0,"data":<that document>}`. Every line is a whole object: read it line by line.
 */
export class JsonLinesOutput {
  private readonly collected: Buffer[] = [];
  readonly stdout: Writable;

  constructor(private readonly out: Writable) {
    this.stdout = new Writable({
      write: (chunk: Buffer | string, _encoding, callback) => {
        this.collected.push(Buffer.from(chunk));
        callback();
      },
    });
  }

  readonly event = (event: { type: string } & Record<string, unknown>): void => {
    this.out.write(`${JSON.stringify(event)}\n`);
  };

  /** Writes the result line: the collected document (null when there is none; as `text` when it is not JSON). */
  finish(exitStatus: number): void {
    const text = Buffer.concat(this.collected).toString('utf8').trim();
    let data: unknown = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        this.event({ type: 'result', exitStatus, data: null, text });
        return;
      }
    }
    this.event({ type: 'result', exitStatus, data });
  }
}

/**
 * A progress line of `--progress json`: `{"type":"progress","operationId","kind","subjectId","target","status",
 * "attempt","maxAttempts","phase","bytesDone","bytesExpected"}`, fields as in an operation's --json shape (`phase`
 * and `bytesExpected` null until known). Fields may be added; none is renamed.
 */
export function progressEvent(operation: Operation): { type: 'progress' } & Record<string, unknown> {
  return {
    type: 'progress',
    operationId: operation.id,
    kind: operation.kind,
    subjectId: operation.subjectId,
    target: operation.target,
    status: operation.status,
    attempt: operation.attempts,
    maxAttempts: operation.maxAttempts,
    phase: operation.phase,
    bytesDone: operation.bytesDone,
    bytesExpected: operation.bytesExpected,
  };
}
