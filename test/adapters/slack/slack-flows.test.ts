import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnsweredChatRequest } from '../../../adapters/http-front/http-front.ts';
import { createSlack, type SlackChat } from '../../../adapters/slack/slack-adapter.ts';
import type { AuditLog } from '../../../src/state/audit-log.ts';
import { DeliveredChatRequests } from '../../../src/state/delivered-chat-requests.ts';
import { type ChatRig, startChatRig } from '../../support/chat.ts';
import { type TestEngine, target } from '../../support/engine.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { Occurrences } from '../../support/occurrences.ts';
import { FakeSlackApi } from './fake-slack-api.ts';
import { blockActions, formBody, payloadBody, postSigned, signingSecret, slashCommand } from './slack-requests.ts';

/**
 * Whole flows through the real Slack endpoint: signed slash commands and `payload=` clicks into the HTTP front (which
 * acknowledges them on its thread) and the Slack adapter, the real chat handler and engine, and a local fake of
 * Slack's Web API recording what Backstop sends.
 */
const work = mkdtempSync(join(tmpdir(), 'backstop-slack-flow-'));
const media = join(work, 'live');
let fake: FakeSlackApi;
let rig: ChatRig;
let engine: TestEngine;
let slack: SlackChat;
let closeFront: () => Promise<void>;
let answered: Occurrences<AnsweredChatRequest>;
/** One per delivery the adapter is done with. */
const settled = new Occurrences<void>();
let base: string;
const logs: string[] = [];
let audit: AuditLog;

beforeAll(async () => {
  mkdirSync(media, { recursive: true });
  writeFileSync(join(media, 'logo.png'), 'good pixels');
  rig = await startChatRig({
    apps: {
      shop: {
        environments: { live: { protected: true, channels: ['slack:C123'] } },
        access: { viewer: ['*'], restorer: ['slack:UANA'], approver: ['slack:UBOB'] },
      },
    },
    targets: [target('shop', 'live', { mediaDir: media }, true)],
  });
  engine = rig.engine;
  audit = rig.chat.engine.audit;
  fake = await FakeSlackApi.start();
  fake.emails.set('UANA', 'ana@example.com');
  const app = express();
  slack = createSlack({
    signingSecret,
    botToken: 'xoxb-test',
    apiUrl: fake.apiUrl,
    handler: rig.handler,
    log: (line) => logs.push(line),
    updateIntervalMs: 100,
    onSettled: settled.record,
  });
  // The state's record of delivered requests, as `serve` has it.
  const served = await serveBehindFront(app, [slack.endpoint], logs, new DeliveredChatRequests(engine.state.db));
  closeFront = served.close;
  answered = served.answered;
  base = served.url;
}, 120_000);

afterAll(async () => {
  await closeFront?.();
  await slack?.close();
  await fake?.close();
  await rig?.close();
  rmSync(work, { recursive: true, force: true });
});

const texts = (method: string) => fake.callsTo(method).map((c) => String(c.body['text'] ?? ''));

describe('Slack, end to end', () => {
  test('create -> completed; protected restore -> card -> approved by another -> restored; refusals audited', async () => {
    // In the channel bound to shop/live, the approver creates a backup without naming the target.
    const create = await postSigned(base, formBody(slashCommand({ user_id: 'UBOB', text: 'create media "good"' })));
    expect(create.status).toBe(200);
    await fake.waitFor(() => texts('chat.update').some((t) => t.includes('completed')), 30_000);
    const [backup] = await engine.ctx.catalog.listBackups();
    expect(backup).toMatchObject({ status: 'completed', note: 'good', requestedBy: 'slack:UBOB' });
    writeFileSync(join(media, 'logo.png'), 'broken pixels');

    // A user without a role is refused, told which role is needed: privately, the channel sees nothing of it.
    const postedBefore = fake.callsTo('chat.postMessage').length;
    await postSigned(base, formBody(slashCommand({ user_id: 'UEVE', text: 'create media' })));
    const refusal = await fake.waitFor(
      () => fake.callsTo('chat.postEphemeral').find((c) => String(c.body['text']).includes('needs the operator role')),
      30_000,
    );
    expect(refusal.body).toMatchObject({ channel: 'C123', user: 'UEVE' });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(postedBefore);

    // The restorer asks for a restore of the protected target: a card with Approve / Deny / Withdraw is posted.
    await postSigned(base, formBody(slashCommand({ user_id: 'UANA', text: `restore ${backup!.id}` })));
    const card = await fake.waitFor(
      () => fake.callsTo('chat.postMessage').find((c) => String(c.body['text'] ?? '').includes('Restore request')),
      30_000,
    );
    const cardTs = String(card.answer?.['ts']);
    const blocks = JSON.stringify(card.body['blocks']);
    expect(blocks).toContain('Approve');
    const approve = /"value":"(approve:[a-z0-9]+)"/.exec(blocks)![1]!;

    // Self-approval is refused (privately); the approver's click restores, once, and the card names both.
    await postSigned(base, payloadBody(blockActions({ user: 'UANA', messageTs: cardTs, value: approve })));
    await fake.waitFor(
      () => texts('chat.postEphemeral').some((t) => t.includes('someone else with the approver role')),
      30_000,
    );
    expect(readFileSync(join(media, 'logo.png'), 'utf8')).toBe('broken pixels');
    await Promise.all([
      postSigned(base, payloadBody(blockActions({ user: 'UBOB', messageTs: cardTs, value: approve }))),
      postSigned(base, payloadBody(blockActions({ user: 'UBOB', messageTs: cardTs, value: approve }))),
    ]);
    await fake.waitFor(
      () => texts('chat.update').some((t) => t.includes('asked by <@UANA>, approved by <@UBOB>')),
      60_000,
    );
    expect(readFileSync(join(media, 'logo.png'), 'utf8')).toBe('good pixels');
    // The second click is told, privately, who approved first: a mention, not an id.
    await fake.waitFor(() => texts('chat.postEphemeral').some((t) => t.includes('was already approved by <@UBOB>')));
    const restores = await engine.state.db.selectFrom('restores').selectAll().execute();
    expect(restores.filter((r) => r.backup_id === backup!.id)).toHaveLength(1);
    const entries = await audit.list({ app: 'shop' });
    expect(entries.some((e) => e.principal === 'slack:UEVE' && e.outcome === 'refused')).toBe(true);
    expect(entries.some((e) => e.principal === 'slack:UBOB' && e.action.startsWith('approve'))).toBe(true);
    // None of these commands sends mail: Slack was never asked for a profile.
    expect(fake.callsTo('users.info')).toEqual([]);
  }, 120_000);

  test('download links go privately to the requester', async () => {
    const [backup] = await engine.ctx.catalog.listBackups();
    await postSigned(base, formBody(slashCommand({ user_id: 'UBOB', text: `download ${backup!.id}` })));
    const link = await fake.waitFor(
      () => fake.callsTo('chat.postEphemeral').find((c) => String(c.body['text'] ?? '').includes('/downloads/')),
      30_000,
    );
    expect(link.body['user']).toBe('UBOB');
    await fake.waitFor(() => texts('chat.update').some((t) => t.includes('the links were sent privately')), 30_000);
    // A download may mail its links: the requester's profile was read for an address.
    expect(fake.callsTo('users.info').map((c) => c.body['user'])).toEqual(['UBOB']);
  }, 60_000);

  test('a slash command replayed with its signature takes one backup: one operation, one message', async () => {
    await settled.reached(answered.seen.filter((a) => a.delivered).length);
    const backupsBefore = (await engine.ctx.catalog.listBackups()).length;
    const operationsBefore = await engine.state.db.selectFrom('operations').select('id').execute();
    const postedBefore = fake.callsTo('chat.postMessage').length;
    const answeredBefore = answered.seen.length;
    const body = formBody(slashCommand({ user_id: 'UBOB', text: 'create media "replayed"' }));
    const timestamp = Math.floor(Date.now() / 1000);

    const responses = await Promise.all([0, 1, 2].map(() => postSigned(base, body, { timestamp })));

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const copies = (await answered.reached(answeredBefore + 3)).slice(answeredBefore);
    expect(copies.filter((a) => a.delivered)).toHaveLength(1);
    await settled.reached(answered.seen.filter((a) => a.delivered).length);
    const backups = await engine.ctx.catalog.listBackups();
    expect(backups).toHaveLength(backupsBefore + 1);
    expect(backups[0]).toMatchObject({ note: 'replayed', status: 'completed' });
    const operations = await engine.state.db.selectFrom('operations').select('id').execute();
    expect(operations).toHaveLength(operationsBefore.length + 1);
    expect(fake.callsTo('chat.postMessage').length).toBe(postedBefore + 1);
  }, 60_000);

  test('a forged signature gets 401 and nothing runs', async () => {
    // The work of the earlier commands has ended: nothing of theirs reaches Slack from here on.
    await settled.reached(answered.seen.filter((a) => a.delivered).length);
    const before = fake.calls.length;
    const answeredBefore = answered.seen.length;
    const response = await postSigned(base, formBody(slashCommand({ text: 'status' })), { secret: 'not-the-secret' });
    expect(response.status).toBe(401);
    // The front is done with it and handed the adapter nothing.
    const all = await answered.reached(answeredBefore + 1);
    expect(all.at(-1)).toEqual({ path: '/slack/events', status: 401, delivered: false });
    expect(logs).toContain('slack: refused a request to /slack/events (signature mismatch)');
    expect(fake.calls.length).toBe(before);
  });
});
