import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  planRetention,
  type RetentionCandidate,
  type RetentionDecision,
  type RetentionPolicy,
} from '../../src/retention/index.ts';
import { referencePlan } from './reference-plan.ts';

const dayMs = 86_400_000;
const base = Date.UTC(2025, 0, 1);
const zones = ['UTC', 'Europe/Zurich', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Australia/Lord_Howe'];

const anyBackup = fc.record({
  trigger: fc.constantFrom('scheduled' as const, 'on-demand' as const),
  status: fc.constantFrom(...(['completed', 'completed', 'completed', 'failed', 'running', 'queued'] as const)),
  // Dense (several a day, so days and weeks hold many) or spread over two years (so months fill up).
  ms: fc.oneof(fc.integer({ min: base, max: base + 40 * dayMs }), fc.integer({ min: base, max: base + 800 * dayMs })),
  pinned: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

/** A schedule's run: completed scheduled backups every few hours, as production makes them, before any pruning. */
const scheduleRun = fc
  .record({
    start: fc.integer({ min: base, max: base + 100 * dayMs }),
    everyHours: fc.integer({ min: 1, max: 72 }),
    count: fc.integer({ min: 1, max: 300 }),
  })
  .map(({ start, everyHours, count }) =>
    Array.from({ length: count }, (_, n) => ({
      trigger: 'scheduled' as const,
      status: 'completed' as const,
      ms: start + n * everyHours * 3_600_000,
      pinned: false,
    })),
  );

const backupsArb = fc
  .tuple(fc.array(anyBackup, { maxLength: 60 }), fc.oneof(fc.constant([]), scheduleRun))
  .map(([mixed, run]) =>
    [...mixed, ...run].map(
      ({ ms, ...rest }, index): RetentionCandidate => ({
        id: `b${String(index).padStart(3, '0')}`,
        createdAt: new Date(ms),
        ...rest,
      }),
    ),
  );

const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  onDemand: fc.record({ keepLast: fc.integer({ min: 0, max: 4 }), maxAgeDays: fc.integer({ min: 0, max: 40 }) }),
  scheduled: fc.record({
    daily: fc.integer({ min: 0, max: 8 }),
    weekly: fc.integer({ min: 0, max: 5 }),
    monthly: fc.integer({ min: 0, max: 13 }),
  }),
  timezone: fc.constantFrom(...zones),
});

const nowArb = fc.integer({ min: base, max: base + 900 * dayMs }).map((ms) => new Date(ms));

const options = { numRuns: 300 };

function byId(decisions: RetentionDecision[]): Map<string, RetentionDecision> {
  return new Map(decisions.map((decision) => [decision.id, decision]));
}

describe('planRetention properties', () => {
  test('one decision per backup, in input order, with a reason, and a tier exactly when kept', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, nowArb, (backups, policy, now) => {
        const decisions = planRetention(backups, policy, now);
        expect(decisions.map((decision) => decision.id)).toEqual(backups.map((backup) => backup.id));
        for (const decision of decisions) {
          expect(decision.reason.trim()).not.toBe('');
          expect(decision.tier !== undefined).toBe(decision.keep);
        }
      }),
      options,
    );
  });

  test('pruning twice deletes nothing the second time', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, nowArb, (backups, policy, now) => {
        const first = planRetention(backups, policy, now);
        const survivors = backups.filter((_, index) => first[index]!.keep);
        const second = planRetention(survivors, policy, now);
        expect(second.filter((decision) => !decision.keep)).toEqual([]);
      }),
      options,
    );
  });

  test('scheduled decisions do not change with the clock alone', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, nowArb, fc.integer({ min: 0, max: 1000 }), (backups, policy, now, days) => {
        const later = new Date(now.getTime() + days * dayMs);
        const scheduled = (decisions: RetentionDecision[]) =>
          decisions.filter(
            (_, index) => backups[index]!.trigger === 'scheduled' && backups[index]!.status === 'completed',
          );
        expect(scheduled(planRetention(backups, policy, later))).toEqual(
          scheduled(planRetention(backups, policy, now)),
        );
      }),
      options,
    );
  });

  test('pinned backups and the newest completed backup are never deleted', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, nowArb, (backups, policy, now) => {
        const decisions = byId(planRetention(backups, policy, now));
        for (const backup of backups.filter((backup) => backup.pinned)) {
          expect(decisions.get(backup.id)).toMatchObject({ keep: true, reason: 'pinned' });
        }
        // Of backups created at the same instant, the one with the larger id counts as the newer.
        const newest = backups
          .filter((backup) => backup.status === 'completed')
          .reduce<RetentionCandidate | undefined>((newest, backup) => {
            if (newest === undefined) return backup;
            const [a, b] = [newest.createdAt.getTime(), backup.createdAt.getTime()];
            return b > a || (b === a && backup.id > newest.id) ? backup : newest;
          }, undefined);
        if (newest !== undefined) expect(decisions.get(newest.id)?.keep).toBe(true);
      }),
      options,
    );
  });

  test('the order of the input does not matter', () => {
    fc.assert(
      fc.property(
        backupsArb.chain((backups) =>
          fc.tuple(fc.constant(backups), fc.shuffledSubarray(backups, { minLength: backups.length })),
        ),
        policyArb,
        nowArb,
        ([backups, shuffled], policy, now) => {
          expect(byId(planRetention(shuffled, policy, now))).toEqual(byId(planRetention(backups, policy, now)));
        },
      ),
      options,
    );
  });

  test('completed backups get what a plain transcription of DESIGN.md gives them', () => {
    fc.assert(
      fc.property(backupsArb, policyArb, nowArb, (backups, policy, now) => {
        const reference = referencePlan(backups, policy, now);
        const decisions = planRetention(backups, policy, now);
        backups.forEach((backup, index) => {
          if (backup.status !== 'completed' || backup.pinned) return;
          const decision = decisions[index]!;
          const byPolicy = decision.keep && decision.tier !== 'newest' ? decision.reason : undefined;
          expect(byPolicy, backup.id).toBe(reference.get(backup.id));
        });
      }),
      options,
    );
  });
});
