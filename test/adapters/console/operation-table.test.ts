import { expect, test } from 'vitest';
import { renderReplyView } from '../../../adapters/console/render-reply-view.ts';
import { operationTable, operationView } from '../../../commands/handlers/format.ts';
import type { Operation } from '../../../src/domain/operation.ts';

const now = new Date('2026-12-05T12:00:00Z');
const style = { colour: false, now, timeZone: 'UTC' };
const error = `The drill of backup abc123 failed: 3 failures: ${'check "select x" returned false, not true; '.repeat(4)}`;
const failed = {
  id: 'op1',
  kind: 'drill',
  subjectId: 'dr1',
  target: 'drill:127.0.0.1:5432',
  status: 'failed',
  attempts: 1,
  maxAttempts: 3,
  phase: null,
  bytesDone: 0,
  bytesExpected: null,
  error,
  requestedBy: 'cli:ana',
  cancelRequestedBy: null,
  createdAt: now,
  startedAt: now,
  finishedAt: now,
  runAfter: null,
} as unknown as Operation;

test("a table row shows the start of an operation's error; the operation's own view all of it", () => {
  const row = renderReplyView([operationTable([failed])], style).split('\n')[1]!;
  expect(row).toContain(`${error.slice(0, 79)}…`);
  expect(row).not.toContain(error);
  expect(renderReplyView(operationView(failed), style)).toContain(error);
});
