import { currentLogFields, type Log } from '../src/domain/log-context.ts';

/**
 * The lines of a server's log that commands handed to it asked to see (`--verbose`): a command following an operation
 * taps the lines logged while the server's workers run it (they carry its id, see withLogFields), and gets them
 * besides the server's own log.
 */
export class LogTaps {
  private readonly taps = new Map<string, Set<(line: string) => void>>();

  /** `log`, also writing each line logged in an operation someone taps to them. */
  wrap(log: Log): Log {
    return (line, level) => {
      log(line, level);
      const operationId = currentLogFields().operationId;
      if (operationId === undefined) return;
      for (const write of this.taps.get(operationId) ?? []) write(line);
    };
  }

  /** Sends the lines of operation `operationId` to `write` until the returned function is called. */
  tap(operationId: string, write: (line: string) => void): () => void {
    const writers = this.taps.get(operationId) ?? new Set();
    writers.add(write);
    this.taps.set(operationId, writers);
    return () => {
      writers.delete(write);
      if (writers.size === 0) this.taps.delete(operationId);
    };
  }
}
