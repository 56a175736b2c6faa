import { describe, expect, test } from 'vitest';
import type { CliIo } from '../../adapters/console/cli-io.ts';
import { createProcessLog, logFormatOf } from '../../cli/process-log.ts';
import type { BackstopConfig } from '../../src/config/backstop-config.ts';
import { withLogFields } from '../../src/domain/log-context.ts';

const at = new Date('2026-12-05T13:00:00.123Z');

function captured() {
  const lines: string[] = [];
  return { lines, stream: { write: (text: string) => lines.push(text) } };
}

describe('the log of serve and worker', () => {
  test('JSON lines: level, time, msg, and the fields of the work the line was logged in', async () => {
    const { lines, stream } = captured();
    const log = await createProcessLog(stream, 'json', () => at);
    log('Backstop is starting');
    await withLogFields({ operationId: 'op1', target: 'shop/live' }, async () => {
      await Promise.resolve();
      log('backup 7k3qx2: media part written', 'info');
      await withLogFields({ requestId: 'r-1' }, async () => log('heartbeat failed', 'warn'));
    });
    log('operation op2 failed: no space', 'error');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'info', time: '2026-12-05T13:00:00.123Z', msg: 'Backstop is starting' },
      {
        level: 'info',
        time: '2026-12-05T13:00:00.123Z',
        msg: 'backup 7k3qx2: media part written',
        operationId: 'op1',
        target: 'shop/live',
      },
      {
        level: 'warn',
        time: '2026-12-05T13:00:00.123Z',
        msg: 'heartbeat failed',
        operationId: 'op1',
        target: 'shop/live',
        requestId: 'r-1',
      },
      { level: 'error', time: '2026-12-05T13:00:00.123Z', msg: 'operation op2 failed: no space' },
    ]);
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
  });

  test('text lines for people: the time, the level when it is not info, the line', async () => {
    const { lines, stream } = captured();
    const log = await createProcessLog(stream, 'text', () => at);
    log('backup 7k3qx2 of shop/live completed');
    log('operation op2 failed: no space', 'error');
    expect(lines).toEqual([
      '2026-12-05T13:00:00.123Z backup 7k3qx2 of shop/live completed\n',
      '2026-12-05T13:00:00.123Z ERROR: operation op2 failed: no space\n',
    ]);
  });

  test('auto is text on a terminal and JSON elsewhere (a container, a service manager); a set format wins', () => {
    const io = (isTTY: boolean) => ({ stderr: { isTTY } }) as unknown as CliIo;
    const config = (format?: 'auto' | 'json' | 'text') =>
      ({ raw: format === undefined ? {} : { logs: { format } } }) as unknown as BackstopConfig;
    expect(logFormatOf(config(), io(true))).toBe('text');
    expect(logFormatOf(config(), io(false))).toBe('json');
    expect(logFormatOf(config('auto'), io(false))).toBe('json');
    expect(logFormatOf(config('json'), io(true))).toBe('json');
    expect(logFormatOf(config('text'), io(false))).toBe('text');
  });
});
