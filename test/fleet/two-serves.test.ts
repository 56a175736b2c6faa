import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useFleet } from './fleet.ts';

// Issue scenario "two serve hosts", its schedules and webhooks (its approvals are the trials of approvals.test.ts):
// two `serve` hosts fire one schedule (every 3 s) and deliver its events to a webhook receiver on the test host, while
// one of them is partitioned from the state for 10 s. Every slot is taken exactly once, none missed; every event is
// delivered at least once, each attempt of a delivery with the same webhook-id; repeats are counted. Three trials.

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const fleet = useFleet({
  schedule: '{ cron: "*/3 * * * * *", timezone: UTC, parts: db }',
  extraConfig: [
    'webhooks:',
    '  - name: recorder',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a variable of the config file, set below
    '    url: ${BACKSTOP_FLEET_WEBHOOK}',
    '    format: generic',
    `    secret: ${SECRET}`,
    '    events: [backup.succeeded, backup.failed]',
    '    retry: { attempts: 20, firstDelaySeconds: 1 }',
  ],
});

/** What the receiver got: each request's webhook-id and the event id in its body. */
const received: Array<{ webhookId: string; eventId: number; type: string }> = [];
let receiver: Server;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data: { eventId: number } };
      received.push({
        webhookId: String(request.headers['webhook-id']),
        eventId: Number(body.data.eventId),
        type: body.type,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '0.0.0.0', resolve));
  // The hosts reach this process at the test network's address.
  process.env['BACKSTOP_FLEET_WEBHOOK'] = `http://10.77.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

describe('two serve hosts, one of them partitioned from the state for 10 s', () => {
  test.each([1, 2, 3])(
    'trial %i: each slot once, none missed; each event delivered, one webhook-id a delivery',
    async (trial) => {
      const first = await fleet.addHost(`ts${trial}a`);
      const second = await fleet.addHost(`ts${trial}b`);
      const startedAt = new Date();
      const serves = [await fleet.startBackstop(first, 'serve'), await fleet.startBackstop(second, 'serve')];
      try {
        await delay(9_000);
        await fleet.network.cutBetween(first, fleet.state);
        await delay(10_000);
        await fleet.network.heal(first);
        await delay(9_000);
        const until = new Date();

        // Slots: one scheduled backup each, every 3 s from the first to the last, with no gap. Read from the events
        // (retention prunes most of these backups as it goes: one a day is what the default policy keeps).
        const events = await fleet.query<{ id: string; type: string; slot: string }>(
          "select id, type, data::jsonb ->> 'slot' as slot from events where type in ('backup.succeeded', 'backup.failed') " +
            "and data::jsonb ->> 'trigger' = 'scheduled' and (data::jsonb ->> 'slot')::timestamptz >= $1 " +
            "and (data::jsonb ->> 'slot')::timestamptz < $2 order by (data::jsonb ->> 'slot')::timestamptz",
          [startedAt, until],
        );
        const slots = events.map((event) => Date.parse(event.slot));
        expect(events.every((event) => event.type === 'backup.succeeded')).toBe(true);
        expect(slots.length).toBeGreaterThanOrEqual(6);
        expect(new Set(slots).size, `one backup a slot: ${JSON.stringify(events)}`).toBe(slots.length);
        const gaps = slots.slice(1).map((slot, i) => slot - slots[i]!);
        expect(new Set(gaps), 'no slot missed').toEqual(new Set([3000]));

        // Webhooks: every one of those events reaches the receiver.
        await fleet.waitFor(
          'every event to be delivered',
          async () =>
            events.every((event) => received.some((r) => r.eventId === Number(event.id))) ? true : undefined,
          60_000,
        );
        const repeats = events.map((event) => {
          const receipts = received.filter((r) => r.eventId === Number(event.id));
          expect(new Set(receipts.map((r) => r.webhookId)).size, `event ${event.id}: one webhook-id`).toBe(1);
          return receipts.length - 1;
        });
        process.stdout.write(
          `two serves, trial ${trial}: ${slots.length} slots each taken once; ${events.length} events delivered, ` +
            `${repeats.reduce((a, b) => a + b, 0)} repeats\n`,
        );
      } finally {
        await fleet.network.heal(first).catch(() => {});
        for (const serve of serves) await fleet.end(serve);
      }
    },
    180_000,
  );
});
