import type { CliIo } from '../adapters/console/cli-io.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { currentLogFields, type Log, type LogLevel } from '../src/domain/log-context.ts';

export type LogFormat = 'json' | 'text';

/** The format of a long-running process's log: as configured (`logs.format`), `auto` meaning JSON off a terminal. */
export function logFormatOf(config: BackstopConfig, io: CliIo): LogFormat {
  const configured = config.raw.logs?.format ?? 'auto';
  if (configured !== 'auto') return configured;
  return io.stderr.isTTY ? 'text' : 'json';
}

/**
 * The log of `serve` and `worker` on `stream` (stderr). JSON: one object a line through pino, with `level`, `time`
 * (ISO 8601), `msg`, and the fields of the work the line was logged in (operationId, target, requestId; see
 * withLogFields), nothing else: no host or pid (the collector knows them), and no secret, as no line carries one.
 * Text: the time and the line, as people read it.
 */
export async function createProcessLog(
  stream: { write(text: string): unknown },
  format: LogFormat,
  clock: () => Date = () => new Date(),
): Promise<Log> {
  if (format === 'text') {
    return (line: string, level: LogLevel = 'info') => {
      stream.write(`${clock().toISOString()} ${level === 'info' ? '' : `${level.toUpperCase()}: `}${line}\n`);
    };
  }
  const { pino } = await import('pino'); // loaded by the processes that log, not by every command
  const logger = pino(
    {
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"time":"${clock().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (text: string) => stream.write(text) },
  );
  return (line: string, level: LogLevel = 'info') => {
    logger[level](currentLogFields(), line);
  };
}

/**
 * What a process says of itself (running, stopping, warnings): as it is on a terminal in text, and as log lines in
 * JSON, so that a collector reads one format.
 */
export function processSay(io: CliIo, format: LogFormat, log: Log): (text: string, level?: LogLevel) => void {
  if (format === 'text') return (text) => io.stderr.write(text);
  return (text, level) => log(text.trimEnd(), level);
}
