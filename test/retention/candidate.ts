import type { RetentionCandidate } from '../../src/retention/index.ts';

/**
 * A completed scheduled backup created at `at` (ISO time), with overrides. Its id defaults to a readable name, the
 * trigger and status when they are not the default, then the time, so golden files say what each backup was.
 */
export function candidate(
  at: string,
  overrides: Partial<Omit<RetentionCandidate, 'createdAt'>> = {},
): RetentionCandidate {
  const trigger = overrides.trigger ?? 'scheduled';
  const status = overrides.status ?? 'completed';
  const pinned = overrides.pinned ?? false;
  const name = [
    trigger === 'on-demand' ? 'on-demand' : '',
    status === 'completed' ? '' : status,
    pinned ? 'pinned' : '',
    at,
  ];
  return {
    id: overrides.id ?? name.filter((part) => part !== '').join(' '),
    trigger,
    status,
    pinned,
    createdAt: new Date(at),
  };
}

/** Completed scheduled backups every `everyHours` from `first` up to and including `last` (ISO times). */
export function series(first: string, last: string, everyHours: number): RetentionCandidate[] {
  const backups: RetentionCandidate[] = [];
  for (let ms = Date.parse(first); ms <= Date.parse(last); ms += everyHours * 3_600_000) {
    backups.push(candidate(new Date(ms).toISOString().replace(':00.000Z', 'Z')));
  }
  return backups;
}
