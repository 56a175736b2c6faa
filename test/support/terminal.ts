import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The installed command as a person runs it (the compiled build after `npm run build`). */
export const backstopBin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');

export interface TerminalRun {
  code: number;
  /** What the terminal showed (stdout and stderr together, as on a screen), with \r\n turned into \n. */
  output: string;
}

/** `word` quoted for sh. */
function quoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `backstop <args>` on a pseudo-terminal (util-linux `script`), so stdin, stdout and stderr are a TTY as in a
 * person's shell. `env` is the whole environment the command gets (plus PATH).
 */
export async function runOnTerminal(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const command = [process.execPath, backstopBin, ...args].map(quoted).join(' ');
  const result = await run('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TERM: 'xterm-256color', ...options.env },
    timeout: 60_000,
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '' }),
  );
  return { code: result.code, output: result.stdout.replaceAll('\r\n', '\n') } satisfies TerminalRun;
}

/** Runs `backstop <args>` with pipes (no terminal), as a script or CI runs it: stdout and stderr apart. */
export async function runPiped(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const result = await run(process.execPath, [backstopBin, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
  return result;
}
