import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDiscord, type DiscordChat } from '../../../adapters/discord/discord-adapter.ts';
import { followOperation } from '../../../src/jobs/follow-operation.ts';
import { DeliveredChatRequests } from '../../../src/state/delivered-chat-requests.ts';
import { createBackup } from '../../../src/use-cases/create-backup.ts';
import { type ChatRig, startChatRig } from '../../support/chat.ts';
import { target } from '../../support/engine.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { createDatabase, dropDatabase, sql } from '../../support/postgres.ts';
import { applicationId, buttonClick, DiscordSigner, FakeDiscordApi, slashCommand, userId } from './discord-fakes.ts';

/**
 * The confirm step of a restore asked on Discord, through the real endpoint: Ed25519-signed interactions into the
 * HTTP front, the real chat handler and engine (PostgreSQL databases), a local fake of Discord's REST API recording
 * what Backstop sends. Nothing is restored before the asker's click on Restore.
 */
const otherId = '999999999999999999';
/** Too long for a button to carry by name along with the rest of the restore. */
const longEnv = 'preview-of-the-new-checkout-for-the-eu-region-2';
const asker = (token: string) => ({ member: { user: { id: userId, username: 'ana' }, roles: [] }, token });
const someoneElse = (token: string) => ({ member: { user: { id: otherId, username: 'bea' }, roles: [] }, token });

let fake: FakeDiscordApi;
let signer: DiscordSigner;
let rig: ChatRig;
let discord: DiscordChat;
let served: Awaited<ReturnType<typeof serveBehindFront>>;
let backupId: string;
/** How far the engine's clock is ahead of the wall clock (the worker's leases keep wall time). */
let skewMs = 0;
const databases: Array<{ name: string; url: string }> = [];

beforeAll(async () => {
  const live = await createDatabase('confirm_live');
  const staging = await createDatabase('confirm_staging');
  databases.push(live, staging);
  await sql(live.url, 'create table orders (id int primary key, total int); insert into orders values (1, 100);');
  await sql(staging.url, 'create table orders (id int primary key, total int); insert into orders values (1, 5);');
  rig = await startChatRig({
    apps: {
      shop: {
        environments: { live: { protected: false }, staging: { protected: false }, [longEnv]: { protected: false } },
        access: { viewer: ['*'], restorer: [`discord:${userId}`, `discord:${otherId}`] },
      },
    },
    targets: [
      target('shop', 'live', { database: live.url }),
      target('shop', 'staging', { database: staging.url }),
      target('shop', longEnv, { database: staging.url }),
    ],
    clock: () => new Date(Date.now() + skewMs),
  });
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
  served = await serveBehindFront(express(), [discord.endpoint], [], new DeliveredChatRequests(rig.engine.state.db));
  const { backup, operation } = await createBackup(
    rig.chat.engine,
    { kind: 'operator', id: 'cli:ops' },
    {
      app: 'shop',
      env: 'live',
      parts: 'db',
      note: 'before deploy',
    },
  );
  backupId = backup.id;
  expect((await followOperation(rig.chat.engine, operation)).status).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await served?.close();
  await discord?.close();
  await fake?.stop();
  await rig?.close();
  for (const db of databases) await dropDatabase(db.name);
});

async function post(interaction: unknown): Promise<{ status: number; json: unknown }> {
  const body = JSON.stringify(interaction);
  const response = await fetch(`${served.url}/discord/interactions`, {
    method: 'POST',
    headers: signer.headers(body, new Date()),
    body,
  });
  return { status: response.status, json: await response.json() };
}

interface Sent {
  content: string;
  flags?: number;
  components: Array<{ components: Array<{ custom_id: string; label: string; style: number }> }>;
}

/** Waits for, then returns, the bodies of what Backstop sent with `method` to the interaction `token`'s `path`. */
async function sent(method: string, token: string, path = ''): Promise<Sent[]> {
  const route = `/webhooks/${applicationId}/${token}${path}`;
  await fake.waitFor(() => fake.find(method, route).length > 0, 30_000);
  return fake.find(method, route).map((request) => request.body as Sent);
}

const restoresInState = () => rig.engine.state.db.selectFrom('restores').selectAll().execute();

/** Asks `/backup restore <backup> db to shop/<env>` as the asker; resolves to the private question's buttons. */
async function askToRestore(
  token: string,
  env = 'staging',
): Promise<{ question: Sent; restore: string; cancel: string }> {
  const asked = await post(
    slashCommand(
      'restore',
      [
        { name: 'id', type: 3, value: backupId },
        { name: 'to', type: 3, value: `shop/${env}` },
      ],
      asker(token),
    ),
  );
  // Deferred privately: the channel sees nothing of a restore that is not confirmed.
  expect(asked).toEqual({ status: 200, json: { type: 5, data: { flags: 64 } } });
  const [question] = await sent('POST', token);
  const buttons = question!.components[0]!.components;
  return {
    question: question!,
    restore: buttons.find((b) => b.label === 'Restore')!.custom_id,
    cancel: buttons.find((b) => b.label === 'Cancel')!.custom_id,
  };
}

describe('Discord: a restore is confirmed by its asker before it runs', () => {
  test('the question is private, says what it replaces, offers Restore and Cancel, and restores nothing', async () => {
    const { question, restore, cancel } = await askToRestore('t-ask');
    expect(question.flags).toBe(64);
    expect(question.content).toMatch(
      new RegExp(`^\\*\\*Restore db of ${backupId} into shop/staging\\?\\*\\* This replaces database .+\\.\\n`),
    );
    expect(question.content).toContain('before deploy');
    expect(question.content).toContain('A safety backup of shop/staging is taken first, so this can be undone.');
    expect(question.components[0]!.components.map((b) => [b.label, b.style])).toEqual([
      ['Restore', 4],
      ['Cancel', 2],
    ]);
    expect(restore.length).toBeLessThanOrEqual(100);
    expect(cancel.length).toBeLessThanOrEqual(100);
    // The "thinking…" placeholder goes: the question is the answer.
    await sent('DELETE', 't-ask', '/messages/@original');
    expect(await restoresInState()).toEqual([]);
  });

  test('a click by someone else is refused privately, audited, and restores nothing', async () => {
    const { restore } = await askToRestore('t-ask-2');
    expect((await post(buttonClick(restore, someoneElse('t-other')))).json).toEqual({ type: 6 });
    const [refusal] = await sent('POST', 't-other');
    expect(refusal!.flags).toBe(64);
    expect(refusal!.content).toContain('Only the person who asked for this restore can confirm or cancel it.');
    expect(fake.find('PATCH', `/webhooks/${applicationId}/t-other/messages/@original`)).toEqual([]);
    expect(await restoresInState()).toEqual([]);
    const audit = await rig.chat.engine.audit.list({ app: 'shop' });
    expect(audit).toContainEqual(
      expect.objectContaining({ principal: `discord:${otherId}`, outcome: 'refused', action: expect.any(String) }),
    );
  });

  test('Cancel edits the question to say nothing was done, without buttons; a Restore after it does nothing', async () => {
    const { restore, cancel } = await askToRestore('t-ask-3');
    await post(buttonClick(cancel, asker('t-cancel')));
    const [edit] = await sent('PATCH', 't-cancel', '/messages/@original');
    expect(edit!.content).toBe(`Cancelled: nothing was done. shop/staging was not restored from ${backupId}.`);
    expect(edit!.components).toEqual([]);
    // A Restore clicked on the same question before Discord showed the edit: answered, and taken for a repeat.
    const answeredBefore = served.answered.seen.length;
    expect((await post(buttonClick(restore, asker('t-after-cancel')))).json).toEqual({ type: 6 });
    expect((await served.answered.reached(answeredBefore + 1)).at(-1)).toMatchObject({
      delivered: false,
      replay: true,
    });
    expect(fake.requests.filter((r) => r.path.includes('t-after-cancel'))).toEqual([]);
    expect(await restoresInState()).toEqual([]);
  });

  test('a destination whose name does not fit on a button travels as its digest, and is found again', async () => {
    const { question, restore, cancel } = await askToRestore('t-ask-long', longEnv);
    expect(question.content).toContain(`into shop/${longEnv}?`);
    expect(restore.length).toBeLessThanOrEqual(100);
    expect(restore).not.toContain(longEnv);
    expect(cancel).toMatch(/,#[0-9a-f]{12}$/);
    await post(buttonClick(cancel, asker('t-cancel-long')));
    const [edit] = await sent('PATCH', 't-cancel-long', '/messages/@original');
    expect(edit!.content).toBe(`Cancelled: nothing was done. shop/${longEnv} was not restored from ${backupId}.`);
    expect(await restoresInState()).toEqual([]);
  });

  test('a click after the confirmation expired restores nothing', async () => {
    const { restore } = await askToRestore('t-ask-4');
    skewMs = 16 * 60_000;
    try {
      await post(buttonClick(restore, asker('t-late')));
      const [edit] = await sent('PATCH', 't-late', '/messages/@original');
      expect(edit!.content).toContain('This confirmation expired after 15 minutes: nothing was done.');
      expect(edit!.components).toEqual([]);
    } finally {
      skewMs = 0;
    }
    expect(await restoresInState()).toEqual([]);
  });

  test('Restore by the asker runs it: the question says so, the channel follows it, the data is back', async () => {
    const { restore } = await askToRestore('t-ask-5');
    expect(await restoresInState()).toEqual([]);
    // A double click: two interactions, one restore.
    const answeredBefore = served.answered.seen.length;
    await post(buttonClick(restore, asker('t-go')));
    expect((await served.answered.reached(answeredBefore + 1)).at(-1)).toMatchObject({ delivered: true });
    await post(buttonClick(restore, asker('t-go-again')));
    expect((await served.answered.reached(answeredBefore + 2)).at(-1)).toMatchObject({
      delivered: false,
      replay: true,
    });
    const [confirmed] = await sent('PATCH', 't-go', '/messages/@original');
    expect(confirmed!.content).toBe(
      `Confirmed: restoring db of ${backupId} into shop/staging. The channel sees how it goes.`,
    );
    expect(confirmed!.components).toEqual([]);
    // Public (no flags), first posted then edited, until it says how it ended and who asked.
    await fake.waitFor(
      () =>
        fake
          .find('PATCH', new RegExp(`^/webhooks/${applicationId}/t-go/messages/\\d+$`))
          .concat(fake.find('POST', `/webhooks/${applicationId}/t-go`))
          .some((r) => (r.body as Sent).content.startsWith(`Restored db of backup ${backupId} into shop/staging.`)),
      60_000,
    );
    const [posted] = await sent('POST', 't-go');
    expect(posted!.flags).toBeUndefined();
    const last = [
      ...fake.find('POST', `/webhooks/${applicationId}/t-go`),
      ...fake.find('PATCH', /t-go\/messages\/\d+$/),
    ]
      .map((r) => (r.body as Sent).content)
      .find((content) => content.startsWith('Restored'))!;
    expect(last).toMatch(new RegExp(`\\nAsked by <@${userId}>\\.$`));
    expect(await restoresInState()).toEqual([
      expect.objectContaining({ backup_id: backupId, dest_app: 'shop', dest_env: 'staging', status: 'succeeded' }),
    ]);
    expect(fake.requests.filter((r) => r.path.includes('t-go-again'))).toEqual([]);
    expect((await sql(databases[1]!.url, 'select total from orders'))[0]).toEqual({ total: 100 });
  }, 90_000);
});
