import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDiscord, type DiscordChat } from '../../../adapters/discord/discord-adapter.ts';
import type { AuditLog } from '../../../src/state/audit-log.ts';
import { DeliveredChatRequests } from '../../../src/state/delivered-chat-requests.ts';
import { type ChatRig, startChatRig } from '../../support/chat.ts';
import { type TestEngine, target } from '../../support/engine.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { createDatabase, dropDatabase, sql } from '../../support/postgres.ts';
import { type S3rverPeer, startS3rver } from '../../support/s3rver.ts';
import { applicationId, buttonClick, DiscordSigner, FakeDiscordApi, slashCommand, userId } from './discord-fakes.ts';

/**
 * Whole flows through the real Discord endpoint: Ed25519-signed interactions into Backstop's HTTP front (on its own
 * thread, as `backstop serve` runs it), the real chat handler and engine (PostgreSQL databases, an s3rver store), and a local fake of Discord's REST API recording
 * what Backstop sends back.
 */
const approverId = '999999999999999999'; // the clicker of buttonClick()
let fake: FakeDiscordApi;
let signer: DiscordSigner;
let s3: S3rverPeer;
let rig: ChatRig;
let engine: TestEngine;
let discord: DiscordChat;
let served: Awaited<ReturnType<typeof serveBehindFront>>;
let endpoint: string;
let audit: AuditLog;
const databases: Array<{ name: string; url: string }> = [];

beforeAll(async () => {
  const live = await createDatabase('discord_live');
  databases.push(live);
  await sql(live.url, 'create table orders (id int primary key, total int); insert into orders values (1, 100);');
  s3 = await startS3rver();
  rig = await startChatRig({
    apps: {
      shop: {
        environments: { live: { protected: true } },
        access: {
          viewer: ['*'],
          restorer: [`discord:${userId}`],
          approver: ['discord-role:42'],
        },
        channels: ['discord:222222222222222222'],
      },
    },
    targets: [target('shop', 'live', { database: live.url }, true)],
    s3,
  });
  engine = rig.engine;
  audit = rig.chat.engine.audit;
  fake = await new FakeDiscordApi().start();
  signer = new DiscordSigner();
  discord = createDiscord({
    publicKey: signer.publicKeyHex,
    applicationId,
    botToken: 'bot-token',
    apiUrl: fake.apiUrl,
    handler: rig.handler,
    log: () => {},
    updateIntervalMs: 100,
  });
  // The state's record of delivered requests, as `serve` has it.
  served = await serveBehindFront(express(), [discord.endpoint], [], new DeliveredChatRequests(engine.state.db));
  endpoint = `${served.url}/discord/interactions`;
}, 120_000);

afterAll(async () => {
  await served?.close();
  await discord?.close();
  await fake?.stop();
  await rig?.close();
  await s3?.stop();
  for (const db of databases) await dropDatabase(db.name);
});

async function post(interaction: unknown): Promise<number> {
  const body = JSON.stringify(interaction);
  const response = await fetch(endpoint, { method: 'POST', headers: signer.headers(body, new Date()), body });
  await response.text();
  return response.status;
}

const contents = (method: string, path: string | RegExp) =>
  fake.find(method, path).map((r) => (r.body as { content?: string }).content ?? '');

describe('Discord, end to end', () => {
  test('create -> completed message; restore into a protected target -> card -> approved by another -> restored', async () => {
    // Someone with only the viewer role may not create backups: refused, naming the role, to them alone (an
    // ephemeral follow-up; the channel's "thinking..." placeholder is removed).
    const viewer = { member: { user: { id: '123123123123123123', username: 'eve' }, roles: [] }, token: 't-refused' };
    const createDb = [
      { name: 'parts', type: 3, value: 'db' },
      { name: 'target', type: 3, value: 'live' },
    ];
    expect(await post(slashCommand('create', createDb, viewer))).toBe(200);
    await fake.waitFor(() => fake.find('DELETE', `/webhooks/${applicationId}/t-refused/messages/@original`).length > 0);
    const refused = fake.find('POST', `/webhooks/${applicationId}/t-refused`)[0]!.body as {
      content: string;
      flags: number;
    };
    expect(refused.flags & 64).toBe(64);
    expect(refused.content).toContain('needs the operator role on shop');
    expect(contents('PATCH', `/webhooks/${applicationId}/t-refused/messages/@original`)).toEqual([]);

    // The approver (role 42) creates a backup in the bound channel.
    const creator = { member: { user: { id: approverId, username: 'bea' }, roles: ['42'] }, token: 't-create' };
    expect(await post(slashCommand('create', createDb, creator))).toBe(200);
    const createPath = `/webhooks/${applicationId}/t-create/messages/@original`;
    await fake.waitFor(() => contents('PATCH', createPath).some((c) => c.includes('completed')), 60_000);
    const [backup] = await engine.ctx.catalog.listBackups();
    expect(backup).toMatchObject({ status: 'completed', requestedBy: `discord:${approverId}` });

    // The restorer asks to restore it into shop/live, which is protected. First they confirm, privately.
    await sql(databases[0]!.url, 'update orders set total = 0');
    expect(
      await post(slashCommand('restore', [{ name: 'id', type: 3, value: backup!.id }], { token: 't-restore' })),
    ).toBe(200);
    await fake.waitFor(() => fake.find('POST', `/webhooks/${applicationId}/t-restore`).length > 0);
    const question = fake.find('POST', `/webhooks/${applicationId}/t-restore`)[0]!.body as {
      content: string;
      flags: number;
      components: Array<{ components: Array<{ custom_id: string; label: string }> }>;
    };
    expect(question.flags & 64).toBe(64);
    expect(question.content).toContain(`Restore db of ${backup!.id} into shop/live?`);
    expect(question.content).toContain('shop/live is protected: once you confirm, someone else with the approver role');
    const confirm = question.components[0]!.components.find((b) => b.label === 'Restore')!.custom_id;

    // Confirmed: a card with buttons is posted.
    const asker = { member: { user: { id: userId, username: 'ana' }, roles: [] }, token: 't-confirm' };
    expect(await post(buttonClick(confirm, asker))).toBe(200);
    await fake.waitFor(() =>
      fake
        .find('POST', `/webhooks/${applicationId}/t-confirm`)
        .some((r) => (r.body as { content: string }).content.includes('Restore request')),
    );
    const card = fake
      .find('POST', `/webhooks/${applicationId}/t-confirm`)
      .map((r) => r.body)
      .find((body) => (body as { content: string }).content.includes('Restore request')) as {
      content: string;
      components: Array<{ components: Array<{ custom_id: string; label: string }> }>;
    };
    expect(card.content).toContain(`Restore request`);
    expect(card).not.toHaveProperty('flags');
    // The card names the requester as a mention.
    expect(card.content).toContain(`<@${userId}> asks to restore backup ${backup!.id}`);
    const buttons = card.components[0]!.components;
    expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Deny', 'Withdraw']);
    const approve = buttons[0]!.custom_id;

    // Self-approval is refused privately.
    const self = { member: { user: { id: userId, username: 'ana' }, roles: [] }, token: 't-self' };
    expect(await post(buttonClick(approve, self))).toBe(200);
    await fake.waitFor(() => fake.find('POST', `/webhooks/${applicationId}/t-self`).length > 0);
    const refusal = fake.find('POST', `/webhooks/${applicationId}/t-self`)[0]!.body as {
      content: string;
      flags: number;
    };
    expect(refusal.flags & 64).toBe(64);
    expect(refusal.content).toContain('someone else with the approver role');
    expect((await sql(databases[0]!.url, 'select total from orders'))[0]).toEqual({ total: 0 });

    // The approver approves (twice, as a double click): one restore, the database is back, the card mentions both.
    expect(await post(buttonClick(approve, { token: 't-approve-1' }))).toBe(200);
    expect(await post(buttonClick(approve, { token: 't-approve-2' }))).toBe(200);
    await fake.waitFor(
      () =>
        fake.requests.some((r) =>
          String((r.body as { content?: string } | undefined)?.content ?? '').includes(
            `Restored into shop/live, asked by <@${userId}>, approved by <@${approverId}>`,
          ),
        ),
      60_000,
    );
    expect((await sql(databases[0]!.url, 'select total from orders'))[0]).toEqual({ total: 100 });
    const restores = await engine.state.db
      .selectFrom('restores')
      .selectAll()
      .where('backup_id', '=', backup!.id)
      .execute();
    expect(restores).toHaveLength(1);
    const entries = await audit.list({ app: 'shop' });
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^approve /), expect.stringMatching(/^restore /)]),
    );
    expect(entries.some((e) => e.outcome === 'refused' && e.principal === 'discord:123123123123123123')).toBe(true);
    expect(entries.some((e) => e.outcome === 'refused' && e.principal === `discord:${userId}`)).toBe(true);
  }, 120_000);

  test('a forged signature gets 401 and nothing runs', async () => {
    const body = JSON.stringify(slashCommand('status', [], { token: 't-forged' }));
    const headers = new DiscordSigner().headers(body, new Date());
    const answeredBefore = served.answered.seen.length;
    const response = await fetch(endpoint, { method: 'POST', headers, body });
    expect(response.status).toBe(401);
    // The front is done with it and handed the adapter nothing, so nothing can reach Discord for it.
    const answered = await served.answered.reached(answeredBefore + 1);
    expect(answered.at(-1)).toEqual({ path: '/discord/interactions', status: 401, delivered: false });
    expect(fake.requests.filter((r) => r.path.includes('t-forged'))).toEqual([]);
    expect(served.logs).toContain('discord: refused a request to /discord/interactions (bad-signature)');
  });
});
