import { spawn } from 'node:child_process';
import type { CodeVersionSource } from '../domain/target.ts';

/** How long a `codeVersion: { command }` may run before it is stopped and the backup goes on without a version. */
const DEFAULT_TIMEOUT_MS = 5_000;
/** A version is a commit, a tag, a release name: longer output is cut here. */
const MAX_LENGTH = 200;

export interface CodeVersionReaderOptions {
  /** The environment `{ env }` reads and the command runs with; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Default 5 s. */
  timeoutMs?: number;
}

/**
 * Reads the application's code version as an environment says (`codeVersion:`): the value of an environment variable
 * of this process, or the first line a shell command prints (`git -C /srv/app rev-parse HEAD`), trimmed and cut to
 * 200 characters. Rejects with a sentence saying why when there is none (a variable not set, a command that failed,
 * printed nothing or ran past its time); the caller records the backup without a version and logs that sentence.
 */
export async function readCodeVersion(
  source: CodeVersionSource,
  options: CodeVersionReaderOptions = {},
): Promise<string> {
  const env = options.env ?? process.env;
  if ('env' in source) {
    const value = firstLine(env[source.env] ?? '');
    if (value === '') throw new Error(`${source.env} is not set in the environment of the process taking the backup`);
    return value;
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const printed = await runBounded(source.command, env, timeoutMs);
  const version = firstLine(printed);
  if (version === '') throw new Error(`the command \`${source.command}\` printed nothing`);
  return version;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  return line.trim().slice(0, MAX_LENGTH);
}

/**
 * Runs `command` with `/bin/sh -c` in a process group of its own and resolves to what it printed. Past `timeoutMs`
 * the whole group is killed (a shell's children too, which would otherwise keep the output open and the backup
 * waiting), and it rejects saying so; a non-zero exit rejects with the first line of its stderr.
 */
function runBounded(command: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const limit = 64 * 1024;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (stdout.length < limit) stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < limit) stderr += text;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`the command \`${command}\` could not be started: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) {
        resolve(stdout);
        return;
      }
      const said = firstLine(stderr);
      const why = timedOut
        ? `did not finish within ${timeoutMs / 1000} s`
        : `failed (${code === null ? `killed by ${signal}` : `exit code ${code}`})`;
      reject(new Error(`the command \`${command}\` ${why}${said === '' || timedOut ? '' : `: ${said}`}`));
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
