import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveCommand } from '../../cli/serve-command.ts';
import type { BackstopConfig } from '../../src/config/backstop-config.ts';
import type { EmailAlertEndpoint } from '../../src/config/email-alert-config.ts';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';
import { enqueueBackup } from '../../src/jobs/enqueue.ts';
import { Scheduler } from '../../src/jobs/scheduler.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { deliveryRunner } from '../../src/notify/delivery-runner.ts';
import { emailAlertRunner } from '../../src/notify/email-alert-runner.ts';
import { createSmtpMailer } from '../../src/notify/mailer.ts';
import { notificationRunner } from '../../src/notify/notification-runner.ts';
import { dispatchEvents } from '../../src/notify/webhook-dispatcher.ts';
import { type Delivery, withDeliveries } from '../../src/state/webhook-deliveries.ts';
import { engineRunners } from '../../src/use-cases/operation-runners.ts';
import { runBackstop } from '../support/cli.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine } from '../support/engine.ts';
import { ManualCronTimers } from '../support/manual-cron-timers.ts';
import { type ReceivedMail, startSmtp } from '../support/smtp.ts';
import { waitFor } from './receiver.ts';

const dir = mkdtempSync(join(tmpdir(), 'backstop-email-alerts-'));
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let config: BackstopConfig;
let engine: TestEngine;
let cleanupStore: () => Promise<void>;

/** shop lists two addresses; blog none. shop/live's media folder is missing, so its backups fail. */
function configText(port: number): string {
  return `
apps:
  shop:
    notify: { email: [ops@example.com, ana@example.com] }
    environments:
      live: { media: ./missing, schedule: { cron: "0 2 * * *" } }
      staging: { media: ./media, schedule: off }
  blog:
    environments:
      live: { media: ./missing, schedule: off }
email:
  smtp: { host: 127.0.0.1, port: ${port}, ignoreTLS: true }
  from: backups@example.com
`;
}

beforeAll(async () => {
  mkdirSync(join(dir, 'media'));
  writeFileSync(join(dir, 'media', 'a.txt'), 'a');
  smtp = await startSmtp({ refuses: (address) => address.endsWith('@refused.example') });
  config = parseConfig(configText(smtp.port), join(dir, 'backstop.yaml'), { env: {}, cwd: dir });
  const made = await makeStore('directory');
  cleanupStore = made.cleanup;
  engine = await makeEngine({ store: made.store, targets: config.targets, mailer: createSmtpMailer(config.email!) });
});

afterAll(async () => {
  await engine?.close();
  await cleanupStore?.();
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

function worker(endpoints: readonly EmailAlertEndpoint[], mailer = engine.ctx.mailer): Worker {
  return engineWorker(engine.ctx, {
    runners: {
      ...engineRunners(engine.ctx, { retryFailedBackups: false }),
      delivery: notificationRunner(engine.ctx, {
        webhooks: deliveryRunner(engine.ctx, []),
        emailAlerts: emailAlertRunner(engine.ctx, endpoints, mailer),
      }),
    },
    log: (line) => engine.logs.push(line),
  });
}

/** Runs one backup of `app/env` to its end; returns the backup's id. */
async function backUp(app: string, env: string): Promise<string> {
  const queued = await enqueueBackup(engine.ctx, {
    app,
    env,
    trigger: 'on-demand',
    parts: 'media',
    note: 'before the release',
    requestedBy: 'cli:ana',
  });
  expect(await worker([]).runOnce({ id: queued.operation.id })).toBe(true);
  return queued.backup.id;
}

/** Dispatches the events since the last call to `endpoints`, then runs every delivery queued once. */
async function deliver(endpoints: readonly EmailAlertEndpoint[], now = new Date(), mailer = engine.ctx.mailer) {
  const made = await dispatchEvents(engine.ctx, endpoints, now, { settleMs: 0 });
  const pending = (await engine.ctx.operations.listActive()).filter((o) => o.kind === 'delivery');
  for (const operation of pending) await worker(endpoints, mailer).runOnce({ id: operation.id });
  return made;
}

function deliveries(endpoint: string): Promise<Delivery[]> {
  return withDeliveries(engine.ctx, (d) => d.list({ endpoint }));
}

/** The one delivery to `endpoint` that `act` made. */
async function deliveryMadeBy(endpoint: string, act: () => Promise<unknown>): Promise<Delivery> {
  const before = new Set((await deliveries(endpoint)).map((d) => d.id));
  await act();
  const made = (await deliveries(endpoint)).filter((d) => !before.has(d.id));
  expect(made).toHaveLength(1);
  return made[0]!;
}

function mailsTo(address: string): ReceivedMail[] {
  return smtp.mails.filter((mail) => mail.to.includes(address));
}

describe('alerts by email, through a real SMTP server', () => {
  test('a failed backup is emailed to the app’s addresses: what, which target, when, the reason, what to do', async () => {
    await dispatchEvents(engine.ctx, [], new Date()); // the cursor at the newest event: only what follows counts
    const failed = await backUp('shop', 'live');
    await backUp('shop', 'staging'); // succeeds: not an alert
    await backUp('blog', 'live'); // fails, but blog lists no addresses
    expect(await deliver(config.emailAlerts)).toBe(1);

    const [mail] = await waitFor('the alert', () => (smtp.mails.length > 0 ? smtp.mails : undefined));
    expect(smtp.mails).toHaveLength(1);
    expect(mail!.to).toBe('ops@example.com, ana@example.com');
    expect(mail!.subject).toBe('[Backstop] Backup of shop/live failed');
    expect(mail!.html).toBe('');
    const text = mail!.text;
    expect(text).toContain(`On-demand backup ${failed} of shop/live (media) failed: The media directory`);
    expect(text).toMatch(/^When: +\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m);
    expect(text).toMatch(/^Target: +shop\/live$/m);
    expect(text).toMatch(/^Note: +before the release$/m);
    expect(text).toContain(`does not exist or is not a directory.`);
    expect(text).toMatch(/^What to do: +\S/m);
    expect(text).toContain(`To look: backstop show ${failed} (or /backup show ${failed} in chat).`);
    expect(text).toContain('apps.shop.notify.email');

    const [delivery] = await deliveries('email:shop');
    expect(delivery).toMatchObject({ status: 'delivered', error: null });
    expect(await withDeliveries(engine.ctx, (d) => d.attempts(delivery!.id))).toMatchObject([
      { attempt: 1, statusCode: null, error: null },
    ]);
    expect(engine.logs.some((line) => line.includes('email:shop: emailed backup.failed of shop/live'))).toBe(true);
  });

  test('a missed backup is emailed, as the scheduler records it', async () => {
    smtp.mails.length = 0;
    const start = new Date();
    const scheduler = new Scheduler(engine.ctx, { timers: new ManualCronTimers() });
    await scheduler.checkMissed(start); // the schedule is first seen now
    const threeDaysOn = new Date(start.getTime() + 3 * 24 * 3600 * 1000);
    expect(await scheduler.checkMissed(threeDaysOn)).toBe(1);
    expect(await deliver(config.emailAlerts, threeDaysOn)).toBe(1);
    const [mail] = await waitFor('the alert', () => (smtp.mails.length > 0 ? smtp.mails : undefined));
    expect(mail!.subject).toBe('[Backstop] No scheduled backup of shop/live yet');
    expect(mail!.text).toContain('No scheduled backup of shop/live has completed since its schedule was set up');
    expect(mail!.text).toMatch(/^Schedule: +0 2 \* \* \* \(UTC\)$/m);
    expect(mail!.text).toMatch(/^What to do: +\S/m);
    expect(mail!.text).toContain('To look: backstop list shop/live scheduled');
  });

  test('a failed drill is emailed, as the drill records it: what failed and what to do', async () => {
    smtp.mails.length = 0;
    const now = new Date();
    await engine.ctx.events.record(
      {
        type: 'drill.failed',
        app: 'shop',
        env: 'live',
        subjectId: 'd7r1ll',
        data: {
          drillId: 'd7r1ll',
          backupId: 'k3qx27',
          app: 'shop',
          env: 'live',
          trigger: 'on-demand',
          requestedBy: 'cli:ana',
          reason: 'table shop.orders: recorded 1201 rows, found 1200',
          hint: 'Do not rely on backup k3qx27: take a new backup.',
        },
      },
      now,
    );
    expect(await deliver(config.emailAlerts, now)).toBe(1);
    const [mail] = await waitFor('the alert', () => (smtp.mails.length > 0 ? smtp.mails : undefined));
    expect(mail!.subject).toBe('[Backstop] Restore drill of shop/live failed');
    expect(mail!.text).toMatch(/^Reason: +table shop\.orders: recorded 1201 rows, found 1200$/m);
    expect(mail!.text).toMatch(/^What to do: +Do not rely on backup k3qx27/m);
    expect(mail!.text).toContain('To look: backstop show k3qx27 (or /backup show k3qx27 in chat).');
  });

  test('an address the server refuses (5xx) is given up at once, saying what to check', async () => {
    const refused: EmailAlertEndpoint[] = [
      { ...config.emailAlerts[0]!, name: 'email:shop', to: ['x@refused.example'] },
    ];
    await dispatchEvents(engine.ctx, [], new Date());
    await backUp('shop', 'live');
    const delivery = await deliveryMadeBy('email:shop', () => deliver(refused));
    expect(delivery!.status).toBe('failed');
    expect(delivery!.error).toContain('refused the alert');
    expect(delivery!.error).toContain('apps.shop.notify.email');
    expect(await withDeliveries(engine.ctx, (d) => d.attempts(delivery!.id))).toMatchObject([{ statusCode: 550 }]);
    expect(mailsTo('x@refused.example')).toEqual([]);
  });

  test('an SMTP server that does not answer: the alert waits and is tried again later', async () => {
    const down = createSmtpMailer({ ...config.email!, smtp: { ...config.email!.smtp, port: 1 } });
    await dispatchEvents(engine.ctx, [], new Date());
    await backUp('shop', 'live');
    const delivery = await deliveryMadeBy('email:shop', () => deliver(config.emailAlerts, new Date(), down));
    expect(delivery.status).toBe('pending');
    expect(delivery.error).toMatch(/ECONNREFUSED|connect/i);
    const [operation] = (await engine.ctx.operations.listActive()).filter((o) => o.subjectId === delivery.id);
    expect(operation).toMatchObject({ status: 'queued', attempts: 1 });
    expect(operation!.runAfter!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    await engine.ctx.operations.requestCancel(operation!.id, 'test', new Date());
  });
});

describe('notify.email in the config', () => {
  test('needs an SMTP server: refused with the fix', () => {
    const text =
      'apps:\n  shop:\n    notify: { email: [ops@example.com] }\n    environments: { live: { media: ./m } }\n';
    expect(() => parseConfig(text, 'backstop.yaml', { env: {}, cwd: dir })).toThrow(
      /backstop\.yaml:3: apps\.shop\.notify\.email: alerts are emailed through an SMTP server: add email:/,
    );
  });

  test('takes addresses only', () => {
    const text = `${configText(25)}`.replace('ana@example.com', 'ana at example.com');
    expect(() => parseConfig(text, 'backstop.yaml', { env: {}, cwd: dir })).toThrow(
      /apps\.shop\.notify\.email\[1\]: write an email address, e\.g\. ops@example\.com/,
    );
  });

  test('one endpoint per app that lists addresses, for failures and missed backups', () => {
    expect(config.emailAlerts).toEqual([
      {
        name: 'email:shop',
        app: 'shop',
        to: ['ops@example.com', 'ana@example.com'],
        events: ['backup.failed', 'backup.missed', 'drill.failed', 'drill.missed'],
        success: 'never',
        retry: { attempts: 8, firstDelayMs: 30_000 },
      },
    ]);
  });
});

test('serve emails a failed backup that its workers ran', async () => {
  const cwd = mkdtempSync(join(dir, 'serve-'));
  writeFileSync(join(cwd, 'backstop.yaml'), `${configText(smtp.port)}http: { port: 0 }\n`);
  smtp.mails.length = 0;
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
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const io = { stdout: stderr, stderr, stdin: process.stdin, env: {}, cwd, prompt: async () => '' };
  const serving = serveCommand(loadConfig({ env: {}, cwd }), io, { stop: stopped });
  try {
    await Promise.race([started, serving.then((code) => Promise.reject(new Error(`serve ended with ${code}`)))]);
    // Handed to the server, whose workers run it.
    const created = await runBackstop(['create', 'media', 'shop/live', '--json'], { cwd });
    expect(created.code).toBe(0);
    const [mail] = await waitFor(
      'the alert from serve',
      () => (smtp.mails.length > 0 ? smtp.mails : undefined),
      60_000,
    );
    expect(mail).toMatchObject({
      to: 'ops@example.com, ana@example.com',
      subject: '[Backstop] Backup of shop/live failed',
    });
    expect(mail!.text).toContain(`backstop show ${created.json().id}`);
  } finally {
    stop();
    expect(await serving).toBe(0);
  }
});
