/**
 * Retention planning for one target with many backups: `planRetention` against a plain sort of the same backups by
 * time, on the same data in one run.
 *
 *   node --import tsx bench/retention-bench.ts [--backups N] [--runs N]
 *
 * Data (deterministic): a year of scheduled backups, one about every 5 minutes, up to 2026-11-27 06:00 UTC, plus
 * on-demand ones (1.5%), failed ones (0.5%) and a few pinned ones, each with a little jitter. It is planned with the
 * default policy in UTC and in Europe/Zurich (two daylight-saving changes in the year), given newest first as
 * `Catalog.listBackups` returns them, and shuffled.
 *
 * Each measurement runs in its own child process (this script with --child), so that its peak memory,
 * `resourceUsage().maxRSS`, is its own: the child generates the data, notes its resident set, plans (or sorts) once
 * as a warm-up, whose time is reported as "first run", then N times; the table shows the median. The sort baseline is
 * `Array.prototype.sort` of a copy of the backups by createdAt, newest first, the order planRetention works in.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { RetentionPolicy } from '../src/domain/retention-policy.ts';
import { planRetention } from '../src/retention/plan-retention.ts';
import type { RetentionCandidate } from '../src/retention/retention-candidate.ts';
import { defaultRetentionPolicy } from '../src/retention/retention-policy.ts';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const index = argv.indexOf(name);
  return index >= 0 && argv[index + 1] !== undefined ? argv[index + 1]! : fallback;
}
const backupCount = Number(option('--backups', '100000'));
const runs = Number(option('--runs', '5'));
if (!(Number.isInteger(backupCount) && backupCount >= 100)) throw new Error('--backups takes an integer >= 100');
if (!(Number.isInteger(runs) && runs >= 1)) throw new Error('--runs takes an integer >= 1');

const dayMs = 86_400_000;
const now = new Date('2026-11-27T06:00:00Z');
type Order = 'newest-first' | 'shuffled';

/** mulberry32: a small seeded generator, so every child builds exactly the same backups. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function generate(count: number, order: Order): RetentionCandidate[] {
  const next = random(20261127);
  const failed = Math.max(1, Math.round(count * 0.005));
  const onDemand = Math.round(count * 0.015);
  const scheduled = count - failed - onDemand;
  const start = now.getTime() - 365 * dayMs;
  const interval = (365 * dayMs) / scheduled;
  const backups: RetentionCandidate[] = [];
  const id = () => `b${String(backups.length).padStart(7, '0')}`;
  for (let i = 0; i < scheduled; i++) {
    // A cron slot, started a few seconds late.
    const createdAt = new Date(Math.round(start + i * interval + next() * 20_000));
    backups.push({ id: id(), trigger: 'scheduled', status: 'completed', createdAt, pinned: false });
  }
  // Pin 10 scheduled backups taken around 11:00 UTC (12:00 or 13:00 in Zurich): never the newest of their day nor
  // the oldest of their week or month, so pinning them leaves the tier counts as they would be.
  for (let k = 0; k < 10; k++) {
    let i = Math.floor(((k + 0.5) * scheduled) / 10);
    while (backups[i]!.createdAt.getUTCHours() !== 11) i++;
    backups[i]!.pinned = true;
  }
  for (let i = 0; i < onDemand; i++) {
    const createdAt = new Date(Math.round(start + next() * 365 * dayMs));
    // Two old on-demand backups pinned (the 3 newest and those within 30 days are kept anyway).
    const pinned = i < 2 && now.getTime() - createdAt.getTime() > 30 * dayMs;
    backups.push({ id: id(), trigger: 'on-demand', status: 'completed', createdAt, pinned });
  }
  for (let i = 0; i < failed; i++) {
    const createdAt = new Date(Math.round(start + next() * 365 * dayMs));
    const trigger = i % 4 === 0 ? 'on-demand' : 'scheduled';
    backups.push({ id: id(), trigger, status: 'failed', createdAt, pinned: false });
  }
  if (order === 'newest-first') {
    backups.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  } else {
    for (let i = backups.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [backups[i], backups[j]] = [backups[j]!, backups[i]!];
    }
  }
  return backups;
}

interface ChildResult {
  firstMs: number;
  medianMs: number;
  allMs: number[];
  rssAfterDataMb: number;
  maxRssMb: number;
  /** Decisions per tier (kept) and deletions: the plan's sanity check. */
  counts?: Record<string, number>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function child(what: 'plan' | 'sort', zone: string, order: Order): ChildResult {
  const backups = generate(backupCount, order);
  const rssAfterDataMb = process.memoryUsage().rss / 2 ** 20;
  const policy: RetentionPolicy = { ...defaultRetentionPolicy, timezone: zone };
  let sink = 0;
  const once = (): number => {
    const t0 = performance.now();
    if (what === 'plan') {
      sink += planRetention(backups, policy, now).length;
    } else {
      sink += backups.slice().sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).length;
    }
    return performance.now() - t0;
  };
  const firstMs = once();
  const allMs = Array.from({ length: runs }, once);
  if (sink !== backups.length * (runs + 1)) throw new Error('lost results');
  let counts: Record<string, number> | undefined;
  if (what === 'plan') {
    counts = {};
    for (const decision of planRetention(backups, policy, now)) {
      const key = decision.keep ? decision.tier! : 'deleted';
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return {
    firstMs,
    medianMs: median(allMs),
    allMs,
    rssAfterDataMb,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    ...(counts && { counts }),
  };
}

function spawnChild(what: 'plan' | 'sort', zone: string, order: Order): ChildResult {
  const args = [
    ...process.execArgv,
    import.meta.filename,
    ...['--child', what, '--zone', zone, '--order', order],
    ...['--backups', String(backupCount), '--runs', String(runs)],
  ];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (run.status !== 0) throw new Error(`child ${what} ${zone} ${order} failed (${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as ChildResult;
}

function main(): void {
  const childIndex = argv.indexOf('--child');
  if (childIndex >= 0) {
    const what = argv[childIndex + 1] as 'plan' | 'sort';
    console.log(JSON.stringify(child(what, option('--zone', 'UTC'), option('--order', 'shuffled') as Order)));
    return;
  }
  const sample = generate(backupCount, 'newest-first');
  const byKind = (trigger: string, status: string) =>
    sample.filter((b) => b.trigger === trigger && b.status === status).length;
  console.log(
    `# ${backupCount} backups of one target (${byKind('scheduled', 'completed')} scheduled, ` +
      `${byKind('on-demand', 'completed')} on-demand, ${sample.filter((b) => b.status === 'failed').length} failed, ` +
      `${sample.filter((b) => b.pinned).length} pinned), ${sample.at(-1)!.createdAt.toISOString()} .. ` +
      `${sample[0]!.createdAt.toISOString()}; ${runs} runs after a warm-up; ${cpus().length} cores, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );
  const rows: string[] = [];
  const tiers: string[] = [];
  for (const order of ['newest-first', 'shuffled'] as const) {
    for (const zone of ['UTC', 'Europe/Zurich']) {
      // Alternate which goes first, as bench/run.ts does.
      const pair =
        zone === 'UTC'
          ? { sort: spawnChild('sort', zone, order), plan: spawnChild('plan', zone, order) }
          : { plan: spawnChild('plan', zone, order), sort: spawnChild('sort', zone, order) };
      const { plan, sort } = pair;
      rows.push(
        `| ${order} | ${zone} | ${plan.medianMs.toFixed(1)} ms | ${((plan.medianMs * 1000) / backupCount).toFixed(2)} µs | ` +
          `${plan.firstMs.toFixed(1)} ms | ${sort.medianMs.toFixed(1)} ms | **${(plan.medianMs / sort.medianMs).toFixed(1)}x** | ` +
          `${plan.maxRssMb.toFixed(0)} MB | ${sort.maxRssMb.toFixed(0)} MB | ${plan.rssAfterDataMb.toFixed(0)} MB |`,
      );
      const c = plan.counts!;
      tiers.push(
        `| ${order} | ${zone} | ${c['daily'] ?? 0} | ${c['weekly'] ?? 0} | ${c['monthly'] ?? 0} | ${c['keep-last'] ?? 0} | ` +
          `${c['max-age'] ?? 0} | ${c['pinned'] ?? 0} | ${c['failed'] ?? 0} | ${c['newest'] ?? 0} | ${c['deleted'] ?? 0} |`,
      );
      console.error(
        `${order} ${zone}: plan ${plan.allMs.map((ms) => ms.toFixed(1)).join(' ')} ms; sort ${sort.allMs.map((ms) => ms.toFixed(1)).join(' ')} ms`,
      );
    }
  }
  console.log(
    '\n| input order | zone | plan (median) | plan per backup | plan, first run | sort by createdAt (median) | plan / sort | peak RSS, plan | peak RSS, sort | RSS with data only |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  console.log(
    '\n| input order | zone | daily | weekly | monthly | keep-last | max-age | pinned | failed (< 7 days) | newest | deleted |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of tiers) console.log(row);
}

main();
