import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { notStartedText } from '../../adapters/chat-platform/chat-platform.ts';
import { FakeSlackApi, type SlackApiCall } from '../adapters/slack/fake-slack-api.ts';
import {
  blockActions,
  formBody,
  payloadBody,
  postSigned,
  signingSecret,
  slashCommand,
} from '../adapters/slack/slack-requests.ts';
import { type HostProcess, mediaTree as tree, useFleet } from './fleet.ts';
import type { Host } from './network.ts';

// Issue scenario "two serve hosts", its approvals: two `serve` hosts with Slack, shop/live protected. Ana asks through
// one of them (a signed slash command) for a restore of shop/live, and its approval card is posted; then Ben's click
// on Approve reaches both serves (the same signed bytes twice, or Slack's retry of it) and Cat, another approver,
// clicks at the same moment, while one serve is partitioned from the state (before the clicks, or in the middle of
// the approval it is making), and healed afterwards. Exactly one restore is queued and completes once, the approval is
// recorded once, no version of the card names a second approver and its last one shows the restore done, and every
// other click is answered: a copy is found delivered before, a second approver is told who approved first, and a serve
// that cannot reach the state tells the clicker that nothing was started. Three trials.

const CHANNEL = 'C0LIVE';
const fleet = useFleet({
  // Enough to restore for a few seconds on the throttled links below, so that the card follows the restore's progress.
  mediaBytes: 48 * 1024 * 1024,
  liveConfig: ['        protected: true', `        channels: ["slack:${CHANNEL}"]`],
  shopConfig: [
    '    access:',
    '      viewer: ["*"]',
    '      restorer: ["slack:UANA"]',
    '      approver: ["slack:UBEN", "slack:UCAT"]',
  ],
  extraConfig: [
    'chat:',
    '  slack:',
    `    signingSecret: ${signingSecret}`,
    '    botToken: xoxb-fleet-approvals',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a variable of the config file, set below
    '    apiUrl: ${BACKSTOP_FLEET_SLACK_API}',
  ],
});

let slack: FakeSlackApi;

beforeAll(async () => {
  // The hosts reach this process at the test network's address.
  slack = await FakeSlackApi.start(fleet.network.testAddress);
  process.env['BACKSTOP_FLEET_SLACK_API'] = slack.apiUrl;
});

afterAll(async () => {
  await slack?.close();
});

/** How many times the process wrote `text` on stderr. */
const said = (process: HostProcess, text: string) => process.stderr().split(text).length - 1;

const textOf = (call: SlackApiCall) =>
  `${String(call.body['text'] ?? '')} ${JSON.stringify(call.body['blocks'] ?? '')}`;

/** The approvers a version of the card names (`approved by slack:U...`, in any case), each time it names one. */
/** Who a card says approved it, as principals: Slack mentions (`<@UBEN>`) or principal ids. */
const approversNamed = (call: SlackApiCall) =>
  [...String(call.body['text'] ?? '').matchAll(/approved by (?:<@(U[A-Z0-9]+)>|slack:(U[A-Z0-9]+))/gi)].map(
    (match) => `slack:${match[1] ?? match[2]}`,
  );

/** How a serve answered the clicks it did not apply, after the front had acknowledged each at once. */
interface Answers {
  /** Found delivered before (the same bytes, or Slack's retry): acknowledged again, not started again. */
  replays: number;
  /** Not started, since the state could not record it in time: its clicker is told so (`told`). */
  notStarted: number;
  told: string[];
  /** Decided already: its clicker is told by whom. */
  refusals: string[];
}

function answersOf(serve: HostProcess, host: Host, since: number): Answers {
  const ephemerals = slack
    .callsTo('chat.postEphemeral')
    .filter((call) => call.from === host.address && call.at >= since)
    .map((call) => ({ user: String(call.body['user']), text: String(call.body['text']) }))
    // What the clicks were answered: the requester's own private note (it waits for an approver) is not one.
    .filter((e) => e.user !== 'UANA');
  return {
    replays: said(serve, 'had been delivered before'),
    notStarted: said(serve, 'was acknowledged but not started'),
    told: ephemerals.filter((e) => e.text.includes(notStartedText)).map((e) => e.user),
    refusals: ephemerals.filter((e) => !e.text.includes(notStartedText)).map((e) => `${e.user}: ${e.text}`),
  };
}

const answeredCount = (answers: Answers) => answers.replays + answers.notStarted + answers.refusals.length;

type Way =
  | 'cut before the clicks, healed once the restore is done'
  | 'cut in the middle of its approval, healed once the other serve waits for it'
  | 'cut before the clicks, healed once it has answered them';

interface Click {
  user: 'UBEN' | 'UCAT';
  to: 'a' | 'b';
  /** `same`: the first's signed bytes again; `retry`: Slack's retry (new timestamp and signature, same trigger id). */
  as: 'first' | 'same' | 'retry';
}

/**
 * Per trial: which serve is cut off from the state (`a`, the one Ana asked through, or `b`) and how, which clicks
 * reach which serve, all at once (in the middle of an approval: the first, then the others), and whose approval
 * counts (the one that reached the state first).
 */
const trials: Array<{ trial: number; cut: 'a' | 'b'; way: Way; clicks: Click[]; winner: string }> = [
  {
    trial: 1,
    cut: 'b',
    way: 'cut before the clicks, healed once the restore is done',
    clicks: [
      { user: 'UBEN', to: 'a', as: 'first' },
      { user: 'UBEN', to: 'b', as: 'same' },
      { user: 'UCAT', to: 'b', as: 'first' },
    ],
    winner: 'slack:UBEN',
  },
  {
    trial: 2,
    cut: 'a',
    way: 'cut in the middle of its approval, healed once the other serve waits for it',
    clicks: [
      { user: 'UBEN', to: 'a', as: 'first' },
      { user: 'UBEN', to: 'b', as: 'retry' },
      { user: 'UCAT', to: 'b', as: 'first' },
    ],
    winner: 'slack:UBEN',
  },
  {
    trial: 3,
    cut: 'a',
    way: 'cut before the clicks, healed once it has answered them',
    clicks: [
      { user: 'UBEN', to: 'a', as: 'first' },
      { user: 'UCAT', to: 'b', as: 'first' },
      { user: 'UCAT', to: 'a', as: 'same' },
    ],
    winner: 'slack:UCAT',
  },
];

describe('two serve hosts with Slack: an approval clicked on both while one is partitioned from the state', () => {
  test.each(trials)(
    'trial $trial (serve $cut $way): one approval, one restore, no card naming a second approver',
    async ({ trial, cut, way, clicks, winner }) => {
      const hosts = { a: await fleet.addHost(`ap${trial}a`), b: await fleet.addHost(`ap${trial}b`) };
      for (const host of Object.values(hosts)) await fleet.network.throttle(host, '200mbit');
      const serves = { a: await fleet.startBackstop(hosts.a, 'serve'), b: await fleet.startBackstop(hosts.b, 'serve') };
      const other = cut === 'a' ? 'b' : 'a';
      const url = (which: 'a' | 'b') => `http://${hosts[which].address}:8080`;
      // A session of the test's own on the state (to hold the request's row), and one on shop/live's database.
      const holder = new pg.Client({ connectionString: fleet.stateUrl });
      const shop = new pg.Client({ connectionString: fleet.appUrl });
      await holder.connect();
      await shop.connect();
      try {
        // A backup to restore, then shop/live changed, so that the restore has something to put back.
        const created = await fleet.backstop(['create', 'db+media', 'shop/live', `approvals trial ${trial}`, '--json']);
        expect(created.code, created.stderr).toBe(0);
        const { id: backupId } = JSON.parse(created.stdout) as { id: string };
        await fleet.waitFor('the backup to complete', async () => {
          const [row] = await fleet.query<{ status: string }>('select status from backups where id = $1', [backupId]);
          if (row?.status === 'failed') throw new Error(`the backup failed\n${fleet.report()}`);
          return row?.status === 'completed' ? true : undefined;
        });
        const backedUp = tree(fleet.mediaDir);
        writeFileSync(join(fleet.mediaDir, 'upload-0.bin'), randomBytes(1024));
        writeFileSync(join(fleet.mediaDir, `added-in-trial-${trial}.bin`), randomBytes(1024));
        await shop.query('insert into orders values ($1, $2)', [100 + trial, `trial ${trial}`]);
        const startedAt = Date.now();

        // Ana asks through serve a: a card with Approve, Deny and Withdraw is posted in the channel.
        const asked = await postSigned(
          url('a'),
          formBody(
            slashCommand({
              user_id: 'UANA',
              channel_id: CHANNEL,
              text: `restore ${backupId}`,
              response_url: slack.responseUrl(`command-${trial}`),
            }),
          ),
        );
        expect(asked.status).toBe(200);
        const card = await slack.waitFor(
          () =>
            slack
              .callsTo('chat.postMessage')
              .find((call) => call.at >= startedAt && textOf(call).includes('Restore request')),
          30_000,
        );
        const cardTs = String(card.answer?.['ts']);
        const approve = /"value":"(approve:[a-z0-9]+)"/.exec(JSON.stringify(card.body['blocks']))?.[1];
        expect(approve, textOf(card)).toBeDefined();
        const requestId = approve!.slice('approve:'.length);

        // Each person's click as Slack first sends it; copies of it repeat its bytes, or are Slack's retry of it.
        const firsts = new Map<string, { body: string; timestamp: number }>();
        const send = (click: Click) => {
          let first = firsts.get(click.user);
          if (!first) {
            const payload = blockActions({
              user: click.user,
              channel: CHANNEL,
              messageTs: cardTs,
              value: approve!,
              responseUrl: slack.responseUrl(`click-${trial}-${click.user}`),
            });
            first = { body: payloadBody(payload), timestamp: Math.floor(Date.now() / 1000) };
            firsts.set(click.user, first);
          }
          return click.as === 'retry'
            ? postSigned(url(click.to), first.body, {
                timestamp: first.timestamp + 1,
                headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
              })
            : postSigned(url(click.to), first.body, { timestamp: first.timestamp });
        };
        /** The sessions of a host's serve updating the request: waiting for its row's lock, or holding it. */
        const updating = (host: Host, how: 'waiting' | 'holding') =>
          fleet.query<{ pid: number }>(
            `select pid from pg_stat_activity where client_addr = $1 and query ilike 'update "restore_requests"%' and ${
              how === 'waiting' ? "wait_event_type = 'Lock'" : "state = 'idle in transaction'"
            }`,
            [host.address],
          );

        let statuses: number[];
        if (way === 'cut in the middle of its approval, healed once the other serve waits for it') {
          // Serve a's approval waits for the request's row, which the test holds; a is cut off, then the row is let
          // go: a's transaction goes on to hold it, and cannot commit while the cut lasts.
          await holder.query('begin');
          await holder.query('select id from restore_requests where id = $1 for update', [requestId]);
          const [first, ...rest] = clicks;
          statuses = [(await send(first!)).status];
          await fleet.waitFor('the approval to wait for the request', async () =>
            (await updating(hosts[cut], 'waiting')).length > 0 ? true : undefined,
          );
          await fleet.network.cutBetween(hosts[cut], fleet.state);
          await holder.query('commit');
          await fleet.waitFor('the cut-off approval to hold the request', async () =>
            (await updating(hosts[cut], 'holding')).length > 0 ? true : undefined,
          );
          statuses.push(...(await Promise.all(rest.map(send))).map((response) => response.status));
          // The other serve finds Slack's retry delivered, and Cat's approval waits for the cut-off transaction.
          await fleet.waitFor('the other serve to find the retry delivered and wait for the request', async () =>
            said(serves[other], 'had been delivered before') === 1 &&
            (await updating(hosts[other], 'waiting')).length > 0
              ? true
              : undefined,
          );
        } else {
          await fleet.network.cutBetween(hosts[cut], fleet.state);
          statuses = (await Promise.all(clicks.map(send))).map((response) => response.status);
          if (way === 'cut before the clicks, healed once the restore is done') {
            await fleet.waitFor(
              'the restore approved through the other serve to end',
              async () => {
                const [row] = await fleet.query<{ status: string }>(
                  'select s.status from restore_requests r join restores s on s.id = r.restore_id where r.id = $1',
                  [requestId],
                );
                return row?.status === 'succeeded' || row?.status === 'failed' ? true : undefined;
              },
              90_000,
            );
          } else {
            const sent = clicks.filter((click) => click.to === cut).length;
            await fleet.waitFor('the cut-off serve to answer its clicks', async () =>
              answersOf(serves[cut], hosts[cut], startedAt).told.length === sent ? true : undefined,
            );
          }
        }
        // The front acknowledges every click at once, cut off or not: Slack has its answer within 3 seconds.
        expect(statuses).toEqual(clicks.map(() => 200));
        await fleet.network.heal(hosts[cut]);

        // Every click is answered; the one left is the approval.
        const answers = await fleet.waitFor(
          'every click to be answered',
          async () => {
            const now = { a: answersOf(serves.a, hosts.a, startedAt), b: answersOf(serves.b, hosts.b, startedAt) };
            return answeredCount(now.a) + answeredCount(now.b) >= clicks.length - 1 ? now : undefined;
          },
          90_000,
        );
        // The restore's row ends first, then its operation's (the worker records the outcome, then gives the
        // operation up): wait for both.
        await fleet.waitFor(
          'the restore and its operation to end',
          async () => {
            const [row] = await fleet.query<{ status: string; operation: string | null }>(
              `select s.status, o.status as operation from restore_requests r join restores s on s.id = r.restore_id
               left join operations o on o.kind = 'restore' and o.subject_id = s.id where r.id = $1`,
              [requestId],
            );
            const ended = (status: string | null | undefined) =>
              status === 'succeeded' || status === 'failed' || status === 'cancelled';
            return ended(row?.status) && ended(row?.operation) ? true : undefined;
          },
          90_000,
        );

        // The approval: once, by whoever reached the state first, with one restore queued that completed once.
        const [request] = await fleet.query<{ status: string; decided_by: string; restore_id: string }>(
          'select status, decided_by, restore_id from restore_requests where id = $1',
          [requestId],
        );
        expect(request).toMatchObject({ status: 'approved', decided_by: winner });
        const approvals = await fleet.query<{ principal: string; outcome: string; detail: string | null }>(
          'select principal, outcome, detail from audit_log where action = $1 order by id',
          [`approve ${requestId}`],
        );
        expect(
          approvals.filter((entry) => entry.outcome === 'ok'),
          JSON.stringify(approvals),
        ).toEqual([{ principal: winner, outcome: 'ok', detail: `restore ${request!.restore_id} queued` }]);
        const restores = await fleet.query<{ id: string; status: string }>(
          'select id, status from restores where backup_id = $1',
          [backupId],
        );
        expect(restores).toEqual([{ id: request!.restore_id, status: 'succeeded' }]);
        const operations = await fleet.query<{ status: string }>(
          "select status from operations where kind = 'restore' and subject_id = $1",
          [request!.restore_id],
        );
        expect(operations).toEqual([{ status: 'succeeded' }]);
        const events = await fleet.query<{ type: string }>(
          "select type from events where subject_id = $1 and type like 'restore.%'",
          [request!.restore_id],
        );
        expect(events).toEqual([{ type: 'restore.succeeded' }]);

        // The clicks that did not count: each answered once, and never with an approval.
        const loser = winner === 'slack:UBEN' ? 'UCAT' : 'UBEN';
        for (const which of ['a', 'b'] as const) {
          const answered = answers[which];
          expect(answered.told.length, `serve ${which} tells every click it did not start`).toBe(answered.notStarted);
          for (const refusal of answered.refusals) {
            expect(refusal).toBe(
              `${loser}: :warning: Restore request ${requestId} was already approved by <@${winner.replace('slack:', '')}>.`,
            );
          }
        }
        expect(answeredCount(answers.a) + answeredCount(answers.b)).toBe(clicks.length - 1);
        if (way === 'cut before the clicks, healed once it has answered them') {
          expect(answers[cut].notStarted).toBe(clicks.filter((click) => click.to === cut).length);
        }
        if (way === 'cut in the middle of its approval, healed once the other serve waits for it') {
          expect(answers[other]).toMatchObject({ replays: 1, notStarted: 0, refusals: [expect.any(String)] });
        }

        // The card: no version of it names a second approver, and the last (as Slack got them) shows the restore done.
        const updates = await slack.waitFor(() => {
          const all = slack.callsTo('chat.update').filter((call) => call.body['ts'] === cardTs);
          return all.some((call) => textOf(call).includes('Restored into')) ? all : undefined;
        }, 30_000);
        for (const update of updates) {
          expect(
            approversNamed(update).every((approver) => approver === winner),
            textOf(update),
          ).toBe(true);
        }
        const last = String(updates.at(-1)!.body['text']);
        expect(last).toContain(
          `Restored into shop/live, asked by <@UANA>, approved by <@${winner.replace('slack:', '')}>.`,
        );
        expect(approversNamed(updates.at(-1)!)).toEqual([winner]);
        expect(JSON.stringify(updates.at(-1)!.body['blocks'])).not.toContain('"value":"approve:');

        // Nothing left half-done: no work waiting or running, shop/live as the backup has it.
        await fleet.waitFor('the queue to be empty', async () => {
          const open = await fleet.query("select id from operations where status in ('queued', 'running')");
          return open.length === 0 ? true : undefined;
        });
        expect(tree(fleet.mediaDir)).toEqual(backedUp);
        const orders = await shop.query<{ id: number }>('select id from orders order by id');
        expect(orders.rows.map((order) => order.id)).toEqual([1]);

        const copies = clicks.filter((click) => click.as !== 'first');
        process.stdout.write(
          `approvals, trial ${trial} (serve ${cut} ${way}): ${clicks.length} clicks, ${copies.length} of them ` +
            `${copies.map((click) => `a copy (${click.as}) to serve ${click.to}`).join(', ')}; approved by ` +
            `${winner}; serve a answered ${JSON.stringify(answers.a)}, serve b ${JSON.stringify(answers.b)}; ` +
            `restores queued ${restores.length}, completed ${restores.filter((r) => r.status === 'succeeded').length}; ` +
            `${updates.length} card updates, none naming another approver\n`,
        );
      } finally {
        await holder.query('rollback').catch(() => {});
        await holder.end().catch(() => {});
        await shop.end().catch(() => {});
        await fleet.network.heal(hosts[cut]).catch(() => {});
        for (const serve of Object.values(serves)) await fleet.end(serve);
      }
    },
    180_000,
  );
});
