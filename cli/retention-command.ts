import type { Writable } from 'node:stream';
import { exitCodes } from '../adapters/console/cli-io.ts';
import { isBackstopError } from '../src/domain/backstop-error.ts';
import {
  defaultRetentionPolicy,
  parseRetentionPolicy,
  type RetentionPolicy,
  renderRetentionTimeline,
  simulateRetention,
  ZoneCalendar,
} from '../src/retention/index.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags, adminSubcommands } from './admin-flags.ts';
import { unknownSubcommand } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

export const retentionUsage =
  'backstop retention simulate --days <n> [--every 1d|12h|30m] [--policy daily=7,weekly=4,monthly=12] [--timezone <IANA zone>]';

/** More simulated backups than this take long enough to look hung; nobody needs a finer picture of a policy. */
const maxSimulatedBackups = 100_000;
const units: Record<string, number> = { m: 1, h: 60, d: 24 * 60 };

interface Simulation {
  days: number;
  everyMinutes: number;
  policy: RetentionPolicy;
}

/**
 * `backstop retention simulate`: shows what a retention policy keeps after running a schedule for some days, ending
 * now, as a timeline (or, with --json, `{ kept: [{ at, tier, reason }], deleted }`). It only turns flags into a policy
 * and prints: the deciding is simulateRetention's.
 */
export function retentionCommand(
  args: string[],
  io: { stdout: Writable & { columns?: number }; stderr: Writable },
  json: boolean,
  now: Date,
): number {
  const parsed = parseSimulation(args);
  if (typeof parsed === 'string') return usageError(io, json, parsed, { usage: retentionUsage });
  const start = new Date(now.getTime() - parsed.days * 86_400_000);
  const result = simulateRetention({ ...parsed, start });
  if (json) {
    const kept = result.kept.map((backup) => ({ ...backup, at: backup.at.toISOString() }));
    io.stdout.write(`${JSON.stringify({ kept, deleted: result.deleted })}\n`);
    return exitCodes.ok;
  }
  const width = Math.min(160, io.stdout.columns ?? 100);
  io.stdout.write(`${renderRetentionTimeline(result, { width, now, timezone: parsed.policy.timezone })}\n\n`);
  for (const backup of result.kept) io.stdout.write(`${backup.at.toISOString()}  ${backup.reason}\n`);
  return exitCodes.ok;
}

/** The simulation the arguments ask for, or what is wrong with them. */
function parseSimulation(args: string[]): Simulation | string {
  const [subcommand, ...rest] = args;
  if (subcommand !== 'simulate') return unknownSubcommand('retention', subcommand, adminSubcommands['retention']!);
  const parsed = parseAdminArgs(rest, adminFlags['retention simulate'], { command: 'retention simulate' });
  if (typeof parsed === 'string') return parsed;
  const daysText = parsed.string('days');
  if (daysText === undefined) return 'simulate needs --days <n>, the number of days to simulate';
  const days = Number(daysText);
  if (!/^\d+$/.test(daysText) || days < 1) return `--days ${daysText}: expected a whole number of days, 1 or more`;
  const everyText = parsed.string('every') ?? '1d';
  const every = /^(\d+)([mhd])$/.exec(everyText);
  const everyMinutes = every ? Number(every[1]) * units[every[2]!]! : 0;
  if (everyMinutes < 1) return `--every ${everyText}: expected an interval such as 1d, 12h or 30m`;
  if ((days * 24 * 60) / everyMinutes > maxSimulatedBackups)
    return `${days} days every ${everyText} is more than ${maxSimulatedBackups} backups: simulate fewer days or a longer interval`;
  // Policy and time zone are checked here, so that a mistake in them is a usage error.
  try {
    const base = { ...defaultRetentionPolicy, timezone: parsed.string('timezone') ?? defaultRetentionPolicy.timezone };
    const policyText = parsed.string('policy');
    const policy = policyText === undefined ? base : parseRetentionPolicy(policyText, base);
    ZoneCalendar.of(policy.timezone);
    return { days, everyMinutes, policy };
  } catch (error) {
    if (isBackstopError(error, 'bad-policy') || isBackstopError(error, 'bad-timezone')) return error.message;
    throw error;
  }
}
