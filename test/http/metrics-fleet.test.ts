import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse } from 'yaml';
import { serveCommand } from '../../cli/serve-command.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { generateIdentity } from '../../src/crypto/index.ts';
import { EventLog } from '../../src/state/event-log.ts';
import { openState } from '../../src/state/state.ts';
import { runBackstop } from '../support/cli.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';

// Backups are run by `backstop` commands (processes with no HTTP port, as a `worker` is) on a shared PostgreSQL
// state; a `serve` started afterwards reports them all on /metrics.
const repo = join(import.meta.dirname, '..', '..');
const cwd = mkdtempSync(join(tmpdir(), 'backstop-metrics-fleet-'));
let database: { name: string; url: string };
let stop!: () => void;
let serving: Promise<number>;
let url: string;

/** One metric family of the text exposition format: its TYPE and its samples. */
interface Family {
  type: string;
  samples: { series: string; value: number }[];
}

/** Parses Prometheus' text format (version 0.0.4): every sample must belong to a family declared by # TYPE. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const declared = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (declared) {
      expect(families.has(declared[1]!), `${declared[1]} declared twice`).toBe(false);
      families.set(declared[1]!, { type: declared[2]!, samples: [] });
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    expect(sample, `not a sample line: ${line}`).not.toBeNull();
    const name = sample![1]!;
    const family =
      families.get(name) ??
      families.get(name.replace(/_(bucket|sum|count)$/, '')) ??
      families.get(name.replace(/_total$/, ''));
    expect(family, `${name} has no # TYPE`).toBeDefined();
    family!.samples.push({ series: `${name}${sample![2] ?? ''}`, value: Number(sample![3]) });
  }
  return families;
}

function value(families: Map<string, Family>, name: string, labels = ''): number | undefined {
  return families.get(name)?.samples.find((s) => s.series === `${name}${labels}`)?.value;
}

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

/** Every metric name a PromQL expression refers to. */
function metricNames(expression: string): string[] {
  return [...expression.matchAll(/\b((?:backstop|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

beforeAll(async () => {
  database = await createDatabase('metrics-fleet');
  mkdirSync(join(cwd, 'media'));
  writeFileSync(join(cwd, 'media', 'logo.png'), Buffer.alloc(40_000, 7));
  writeFileSync(join(cwd, 'backstop.key'), `${generateIdentity().identity}\n`, { mode: 0o600 });
  writeFileSync(
    join(cwd, 'backstop.yaml'),
    [
      `database: ${database.url}`,
      'storage: { dir: ./backups }',
      'encryption: { identities: [./backstop.key] }',
      'http: { port: 0 }',
      'apps:',
      '  site:',
      '    environments:',
      '      live: { media: ./media, schedule: off }',
      '      gone: { media: ./no-such-folder, schedule: off }',
      '',
    ].join('\n'),
  );
  const created = await runBackstop(['create', 'media', 'site/live', 'first', '--wait', '--json'], { cwd });
  expect(created.code).toBe(0);
  const failed = await runBackstop(['create', 'media', 'site/gone', '--wait', '--json'], { cwd });
  expect(failed.code).toBe(1);
  const restored = await runBackstop(
    ['restore', created.json().id, 'media', 'to', 'site/live', '--no-safety-backup', '--yes', '--wait'],
    { cwd },
  );
  expect(restored.code).toBe(0);
  // The scheduler records a missed backup in the same way (see src/jobs/scheduler.ts).
  const state = await openState({ databaseUrl: database.url, dataDir: cwd });
  await new EventLog(state.db).record(
    {
      type: 'backup.missed',
      app: 'site',
      env: 'live',
      subjectId: null,
      data: {
        app: 'site',
        env: 'live',
        lastCompletedBackupId: null,
        lastCompletedAt: null,
        expectedEveryMs: 86_400_000,
        schedule: { cron: '0 2 * * *', timezone: 'UTC' },
        hint: 'check that serve runs',
      },
    },
    new Date(),
  );
  await state.close();

  const lines: string[] = [];
  let running!: () => void;
  const started = new Promise<void>((resolve) => {
    running = resolve;
  });
  const stderr = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      if (lines.join('').includes('Backstop is running')) running();
      callback();
    },
  });
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const config = loadConfig({ env: {}, cwd });
  const io = { stdout: stderr, stderr, stdin: process.stdin, env: {}, cwd, prompt: async () => '' };
  serving = serveCommand(config, io, { stop: stopped });
  await Promise.race([started, serving.then((code) => Promise.reject(new Error(`serve ended with ${code}`)))]);
  url = /HTTP on (http:\/\/[\d.]+:\d+)/.exec(lines.join(''))![1]!;
});

afterAll(async () => {
  stop?.();
  await serving;
  await dropDatabase(database.name);
  rmSync(cwd, { recursive: true, force: true });
});

test('a serve reports the backups and restores other processes ran, from the shared state', async () => {
  const families = await scrape();
  const live = '{app="site",env="live",trigger="on-demand"}';
  expect(value(families, 'backstop_state_up')).toBe(1);
  expect(value(families, 'backstop_backups_completed_total', live)).toBe(1);
  expect(value(families, 'backstop_backups_failed_total', '{app="site",env="gone",trigger="on-demand"}')).toBe(1);
  expect(value(families, 'backstop_backups_missed_total', '{app="site",env="live"}')).toBe(1);
  expect(value(families, 'backstop_restores_completed_total', '{app="site",env="live"}')).toBe(1);
  expect(value(families, 'backstop_backup_duration_seconds_total', live)).toBeGreaterThan(0);
  expect(value(families, 'backstop_last_completed_backup_duration_seconds', live)).toBeGreaterThan(0);
  const stored = value(families, 'backstop_last_completed_backup_stored_bytes', live)!;
  expect(stored).toBeGreaterThan(40_000);
  expect(value(families, 'backstop_backup_stored_bytes', '{app="site",env="live"}')).toBe(stored);
  expect(value(families, 'backstop_last_completed_backup_timestamp_seconds', live)).toBeLessThanOrEqual(
    Date.now() / 1000,
  );

  // Counters only grow: another backup adds to them, whoever runs it.
  const again = await runBackstop(['create', 'media', 'site/live', '--wait'], { cwd });
  expect(again.code).toBe(0);
  await expect.poll(async () => value(await scrape(), 'backstop_backups_completed_total', live)).toBe(2);
  const after = await scrape();
  expect(value(after, 'backstop_backup_duration_seconds_total', live)).toBeGreaterThan(
    value(families, 'backstop_backup_duration_seconds_total', live)!,
  );
  expect(value(after, 'backstop_backup_stored_bytes', '{app="site",env="live"}')).toBeGreaterThan(stored);
});

test('names, types and units follow the Prometheus conventions', async () => {
  const families = await scrape();
  expect(families.size).toBeGreaterThan(20);
  for (const [name, family] of families) {
    // prom-client's own gauges of Node's active handles, requests and resources; the rest keeps the convention.
    if (/^nodejs_active_(handles|requests|resources)_total$/.test(name)) continue;
    if (family.type === 'counter') expect(name, `${name} is a counter`).toMatch(/_total$/);
    else expect(name, `${name} is a ${family.type}`).not.toMatch(/_total$/);
    if (!name.startsWith('backstop_')) continue;
    expect(family.type, `${name}: Backstop's figures are totals or levels read from the state`).toMatch(
      /^(counter|gauge)$/,
    );
    if (/duration|timestamp/.test(name)) expect(name).toMatch(/_seconds(_total)?$/);
    if (/bytes/.test(name)) expect(name).toMatch(/_bytes(_total)?$/);
  }
  expect(families.get('backstop_backup_stored_bytes')?.type).toBe('gauge');
  expect(families.has('backstop_backup_bytes_total')).toBe(false);
  expect(families.has('backstop_backup_duration_seconds')).toBe(false);
});

test('the Grafana dashboard, the alert rules and the README use only metrics /metrics has', async () => {
  const names = new Set((await scrape()).keys());
  const dashboard = JSON.parse(readFileSync(join(repo, 'deploy', 'grafana', 'backstop-dashboard.json'), 'utf8'));
  const expressions: string[] = [];
  for (const panel of dashboard.panels) for (const target of panel.targets ?? []) expressions.push(target.expr);
  for (const variable of dashboard.templating.list) {
    if (variable.type === 'query') expressions.push(variable.query.query, variable.definition);
  }
  const rules = parse(readFileSync(join(repo, 'deploy', 'prometheus', 'backstop-alerts.yaml'), 'utf8'));
  for (const group of rules.groups) for (const rule of group.rules) expressions.push(rule.expr);
  expect(expressions.length).toBeGreaterThan(15);
  const used = new Set(expressions.flatMap(metricNames));
  expect(used.size).toBeGreaterThanOrEqual(10);
  for (const name of used) expect(names, name).toContain(name);

  // Less the sentence that names the metrics renamed, for those who upgrade.
  const readme = readFileSync(join(repo, 'README.md'), 'utf8').replace(/\(Renamed: [^)]*\)/, '');
  // Less the names of databases: the demo's, the benchmark's and drills' scratch databases (backstop_drill_<id>).
  const mentioned = [...new Set(metricNames(readme))].filter((name) => !/^backstop_(demo|bench|drill_)/.test(name));
  expect(mentioned.length).toBeGreaterThanOrEqual(8);
  for (const name of mentioned) expect(names, `README.md names ${name}`).toContain(name);
});
