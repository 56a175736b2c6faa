import { AsyncLocalStorage } from 'node:async_hooks';

/** What a log line is about, beyond its text: the operation a worker runs, its target, the HTTP request served. */
export interface LogFields {
  operationId?: string;
  /** "app/env". */
  target?: string;
  requestId?: string;
}

/** How serious a line is; most are `info`. */
export type LogLevel = 'info' | 'warn' | 'error';

/** A log: a line of text for people, and the level and fields a log collector indexes. */
export type Log = (line: string, level?: LogLevel) => void;

const context = new AsyncLocalStorage<LogFields>();

/**
 * Runs `work` with `fields` added to every line logged inside it, however deep (an operation's engine calls, a
 * request's handlers): the code that logs need not know which operation or request it serves.
 */
export function withLogFields<T>(fields: LogFields, work: () => T): T {
  return context.run({ ...context.getStore(), ...withoutUndefined(fields) }, work);
}

/** The fields of the work this line is logged in (see withLogFields). */
export function currentLogFields(): LogFields {
  return context.getStore() ?? {};
}

function withoutUndefined(fields: LogFields): LogFields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as LogFields;
}
