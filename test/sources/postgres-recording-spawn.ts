import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import type { Spawn } from '../../src/sources/pg-process.ts';

export interface SpawnCall {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
}

/**
 * A spawner that starts the real process and records what it was given; `replace` may swap the command line,
 * for a failure no real database produces.
 */
export function recordingSpawn(
  calls: SpawnCall[],
  replace?: (command: string, args: readonly string[]) => { command: string; args: readonly string[] },
): Spawn {
  return ((command: string, args: readonly string[], options: SpawnOptions) => {
    const actual = replace?.(command, args) ?? { command, args };
    const child = spawn(actual.command, actual.args, options);
    calls.push({ command, args, env: options.env ?? {}, child });
    return child;
  }) as Spawn;
}

/** Resolves once the process has ended, with how it ended. */
export function ended(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
