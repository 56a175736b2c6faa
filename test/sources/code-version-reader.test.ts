import { describe, expect, test } from 'vitest';
import { readCodeVersion } from '../../src/sources/code-version-reader.ts';

describe('readCodeVersion', () => {
  test('reads an environment variable of the process, its first line trimmed', async () => {
    expect(await readCodeVersion({ env: 'APP_REVISION' }, { env: { APP_REVISION: '  v2026.12.1\n' } })).toBe(
      'v2026.12.1',
    );
  });

  test('a variable that is not set or empty is a reason, not a version', async () => {
    await expect(readCodeVersion({ env: 'APP_REVISION' }, { env: {} })).rejects.toThrow(
      'APP_REVISION is not set in the environment of the process taking the backup',
    );
    await expect(readCodeVersion({ env: 'APP_REVISION' }, { env: { APP_REVISION: ' ' } })).rejects.toThrow(/not set/);
  });

  test("runs a command through the shell with the process's environment and keeps its first line", async () => {
    const version = await readCodeVersion(
      { command: 'printf "\\n%s\\nsecond line\\n" "$RELEASE-$(echo 7)"' },
      { env: { RELEASE: 'r42', PATH: process.env['PATH'] } },
    );
    expect(version).toBe('r42-7');
  });

  test('a long answer is cut to 200 characters', async () => {
    const version = await readCodeVersion({ env: 'V' }, { env: { V: 'x'.repeat(500) } });
    expect(version).toHaveLength(200);
  });

  test('a failing command says how it failed and what it said', async () => {
    await expect(
      readCodeVersion({ command: 'echo "fatal: not a git repository" >&2; exit 128' }, { env: process.env }),
    ).rejects.toThrow(
      'the command `echo "fatal: not a git repository" >&2; exit 128` failed (exit code 128): fatal: not a git repository',
    );
  });

  test('a command that prints nothing gives no version', async () => {
    await expect(readCodeVersion({ command: 'true' })).rejects.toThrow('the command `true` printed nothing');
  });

  test('a command whose children keep its output open is stopped with them at its timeout', async () => {
    await expect(
      readCodeVersion({ command: 'echo r1; sleep 30 & sleep 30; wait' }, { timeoutMs: 200 }),
    ).rejects.toThrow(/did not finish within 0.2 s/);
  });

  test('a command that hangs is stopped at its timeout', async () => {
    await expect(readCodeVersion({ command: 'sleep 30' }, { timeoutMs: 200 })).rejects.toThrow(
      'the command `sleep 30` did not finish within 0.2 s',
    );
  });
});
