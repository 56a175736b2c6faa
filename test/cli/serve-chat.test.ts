import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import {
  applicationId,
  DiscordSigner,
  autocomplete as discordAutocomplete,
  buttonClick as discordClick,
  slashCommand as discordCommand,
  userId as discordUserId,
  FakeDiscordApi,
} from '../adapters/discord/discord-fakes.ts';
import { FakeSlackApi } from '../adapters/slack/fake-slack-api.ts';
import {
  appHomeOpened,
  blockActions,
  formBody,
  payloadBody,
  postSigned,
  signingSecret,
  slashCommand,
  viewSubmission,
} from '../adapters/slack/slack-requests.ts';
import { freePort, startServe } from '../support/serve-process.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'backstop.js');
const cwd = mkdtempSync(join(tmpdir(), 'backstop-serve-chat-'));
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(cwd, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// `backstop serve` as its own process (the compiled build after `npm ci`, as bin.test.ts runs it) with Slack and
// Discord configured: its public port is the HTTP front's thread, which acknowledges commands and proxies the rest.
test('serve with Slack and Discord: signed commands are acknowledged, run, and their messages end completed', async () => {
  const fake = await FakeSlackApi.start();
  cleanups.push(() => fake.close());
  const discordApi = await new FakeDiscordApi().start();
  cleanups.push(() => discordApi.stop());
  const signer = new DiscordSigner();
  mkdirSync(join(cwd, 'media'));
  writeFileSync(join(cwd, 'media', 'photo.jpg'), Buffer.alloc(100_000, 7));
  const port = await freePort();
  const config = {
    http: { port },
    chat: {
      slack: { signingSecret, botToken: 'xoxb-serve-test', apiUrl: fake.apiUrl },
      discord: { publicKey: signer.publicKeyHex, applicationId, botToken: 'discord-bot', apiUrl: discordApi.apiUrl },
      approvalTtl: '1s',
    },
    apps: {
      site: {
        access: { restorer: ['slack:U123', 'discord-role:777'], approver: ['slack:U456'] },
        channels: ['slack:C123'],
        environments: { live: { media: './media', schedule: 'off', protected: true } },
      },
    },
  };
  writeFileSync(join(cwd, 'backstop.yaml'), `${JSON.stringify(config)}\n`);
  const { child, done, stderr } = await startServe(cwd, cleanups);
  expect(stderr()).toContain(
    `HTTP on http://127.0.0.1:${port} (/api/v1, /metrics, /healthz, /readyz, /slack/events, /discord/interactions)`,
  );
  const url = `http://127.0.0.1:${port}`;

  // The app's own routes answer through the front.
  const health = await fetch(`${url}/healthz`);
  expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);

  const forged = await postSigned(url, formBody(slashCommand({ text: 'create media' })), { secret: 'not-the-secret' });
  expect(forged.status).toBe(401);

  const response = await postSigned(url, formBody(slashCommand({ text: 'create media live "from slack"' })));
  expect([response.status, await response.text()]).toEqual([200, '']);
  const working = await fake.waitFor(() => fake.callsTo('chat.postMessage')[0], 30_000);
  expect(working.body).toMatchObject({
    channel: 'C123',
    text: 'Working on `/backup create media live "from slack"`...',
  });
  const completed = await fake.waitFor(
    () => fake.callsTo('chat.update').find((call) => /completed/.test(String(call.body['text']))),
    60_000,
  );
  expect(completed.body['ts']).toBe(working.answer?.['ts']);
  expect(String(completed.body['text'])).toMatch(/Backup \w+ of site\/live completed/);
  // Only a download reads the caller's email.
  expect(fake.callsTo('users.info')).toEqual([]);

  // A restore into the protected target posts a card; nobody approves it within chat.approvalTtl, and serve edits
  // the card to say so without anyone clicking.
  const backupId = /Backup (\w+) of site\/live completed/.exec(String(completed.body['text']))![1]!;
  const asked = await postSigned(url, formBody(slashCommand({ text: `restore ${backupId}` })));
  expect(asked.status).toBe(200);
  const card = await fake.waitFor(
    () => fake.callsTo('chat.postMessage').find((call) => /Restore request \w+/.test(String(call.body['text']))),
    30_000,
  );
  const expired = await fake.waitFor(
    () =>
      fake
        .callsTo('chat.update')
        .find((call) => call.body['ts'] === card.answer?.['ts'] && /Expired at/.test(String(call.body['text']))),
    40_000,
  );
  expect(JSON.stringify(expired.body['blocks'])).not.toContain('Approve');

  // Discord: a signed /backup create gets its deferred reply from the front, then the reply is edited to completed.
  const interaction = JSON.stringify(
    discordCommand('create', [
      { name: 'parts', type: 3, value: 'media' },
      { name: 'target', type: 3, value: 'site/live' },
    ]),
  );
  const deferred = await fetch(`${url}/discord/interactions`, {
    method: 'POST',
    headers: signer.headers(interaction, new Date()),
    body: interaction,
  });
  expect([deferred.status, await deferred.json()]).toEqual([200, { type: 5 }]);
  const original = `/webhooks/${applicationId}/command-token/messages/@original`;
  await discordApi.waitFor(
    () =>
      discordApi
        .find('PATCH', original)
        .some((request) => /Backup \w+ of site\/live completed/.test(JSON.stringify(request.body))),
    60_000,
  );

  // Discord's autocomplete is answered by serve itself, from its state: the backups the person may read.
  const postDiscord = async (payload: Record<string, unknown>) => {
    const body = JSON.stringify(payload);
    const answer = await fetch(`${url}/discord/interactions`, {
      method: 'POST',
      headers: signer.headers(body, new Date()),
      body,
    });
    return { status: answer.status, json: await answer.json() };
  };
  const offered = await postDiscord(discordAutocomplete('restore', 'id', ''));
  expect(offered.status).toBe(200);
  expect(offered.json).toMatchObject({ type: 8 });
  const choices = (offered.json as { data: { choices: Array<{ name: string; value: string }> } }).data.choices;
  expect(choices.map((choice) => choice.value)).toContain(backupId);
  expect(choices.find((choice) => choice.value === backupId)!.name).toMatch(
    new RegExp(`^${backupId} · site/live · (just now|\\d+ min ago) · media · from slack$`),
  );

  // A restore from Discord is first confirmed privately; only the Restore click asks for it (here a card, since
  // site/live is protected), naming the asker as a mention.
  const restoreAsked = await postDiscord(
    discordCommand('restore', [{ name: 'id', type: 3, value: backupId }], { token: 'restore-token' }),
  );
  expect(restoreAsked.json).toEqual({ type: 5, data: { flags: 64 } });
  await discordApi.waitFor(
    () => discordApi.find('POST', `/webhooks/${applicationId}/restore-token`).length > 0,
    30_000,
  );
  const question = discordApi.find('POST', `/webhooks/${applicationId}/restore-token`)[0]!.body as {
    content: string;
    flags: number;
    components: Array<{ components: Array<{ custom_id: string; label: string }> }>;
  };
  expect(question.flags).toBe(64);
  expect(question.content).toContain(`Restore media of ${backupId} into site/live?`);
  const confirm = question.components[0]!.components.find((button) => button.label === 'Restore')!.custom_id;
  const clicked = await postDiscord(
    discordClick(confirm, { token: 'confirm-token', member: { user: { id: discordUserId }, roles: ['777'] } }),
  );
  expect(clicked.json).toEqual({ type: 6 });
  await discordApi.waitFor(
    () =>
      discordApi
        .find('POST', `/webhooks/${applicationId}/confirm-token`)
        .some((request) =>
          JSON.stringify(request.body).includes(`<@${discordUserId}> asks to restore backup ${backupId}`),
        ),
    30_000,
  );

  child.kill('SIGTERM');
  expect(await done).toBe(0);
  expect(stderr()).toContain('refused a request to /slack/events (signature mismatch)');
  expect(stderr()).toContain('Backstop stopped.');
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
}, 120_000);

// The same restore request on every surface: opened through the API (which posts no card of its own), its card
// appears in the channel bound to the target; a click there approves it and the API shows it approved; a request
// withdrawn through the API has its card edited without anyone clicking.
test('serve: a restore request opened through the API gets a card in the bound channel, decided on either surface', async () => {
  const fake = await FakeSlackApi.start();
  cleanups.push(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), 'backstop-serve-cards-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'media'));
  writeFileSync(join(dir, 'media', 'photo.jpg'), Buffer.alloc(10_000, 7));
  const port = await freePort();
  const config = {
    http: { port },
    chat: { slack: { signingSecret, botToken: 'xoxb-serve-test', apiUrl: fake.apiUrl } },
    apps: {
      site: {
        access: { operator: ['api:ci'], restorer: ['api:ci'], approver: ['slack:U456'] },
        channels: ['slack:C123'],
        environments: { live: { media: './media', schedule: 'off', protected: true } },
      },
    },
  };
  writeFileSync(join(dir, 'backstop.yaml'), `${JSON.stringify(config)}\n`);
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.once('exit', (code) => resolve({ code, stdout }));
    });
  const created = await run(['--json', 'token', 'create', '--name', 'ci', '--role', 'restorer', '--apps', 'site']);
  expect(created.code).toBe(0);
  const auth = { authorization: `Bearer ${JSON.parse(created.stdout).secret}`, 'content-type': 'application/json' };

  const { child, done } = await startServe(dir, cleanups);
  const api = `http://127.0.0.1:${port}/api/v1`;
  const post = async (path: string, body?: unknown) => {
    const response = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: auth,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
  const get = async (path: string) => (await fetch(`${api}${path}`, { headers: auth })).json();

  const backup = await post('/backups', { app: 'site', env: 'live', parts: 'media' });
  expect(backup.status).toBe(202);
  await expect
    .poll(async () => (await get(`/operations/${backup.body.operationId}`)).status, { timeout: 30_000 })
    .toBe('succeeded');

  const cardOf = async (requestId: string) =>
    fake.waitFor(
      () =>
        fake
          .callsTo('chat.postMessage')
          .find((call) => String(call.body['text']).includes(`Restore request ${requestId}`)),
      30_000,
    );
  const edited = (ts: unknown, pattern: RegExp) =>
    fake.waitFor(
      () =>
        fake.callsTo('chat.update').find((call) => call.body['ts'] === ts && pattern.test(String(call.body['text']))),
      30_000,
    );

  // Opened through the API, approved by a click on its card.
  const asked = await post('/restores', { backupId: backup.body.id });
  expect([asked.status, asked.body.approvalRequired]).toEqual([202, true]);
  const card = await cardOf(asked.body.requestId);
  expect(card.body['channel']).toBe('C123');
  expect(JSON.stringify(card.body['blocks'])).toContain(`approve:${asked.body.requestId}`);
  const click = await postSigned(
    `http://127.0.0.1:${port}`,
    payloadBody(
      blockActions({
        user: 'U456',
        messageTs: String(card.answer?.['ts']),
        value: `approve:${asked.body.requestId}`,
        responseUrl: fake.responseUrl('click'),
      }),
    ),
  );
  expect(click.status).toBe(200);
  await edited(card.answer?.['ts'], /Restored into site\/live, asked by api:ci, approved by <@U456>/);
  expect(await get(`/restore-requests/${asked.body.requestId}`)).toMatchObject({
    status: 'approved',
    decidedBy: 'slack:U456',
  });

  // Opened and withdrawn through the API: the card says so, and offers no button any more.
  const second = await post('/restores', { backupId: backup.body.id });
  const secondCard = await cardOf(second.body.requestId);
  expect((await post(`/restore-requests/${second.body.requestId}/withdraw`)).status).toBe(200);
  const withdrawn = await edited(secondCard.answer?.['ts'], /Withdrawn by api:ci: nothing was restored/);
  expect(JSON.stringify(withdrawn.body['blocks'])).not.toContain('Approve');

  child.kill('SIGTERM');
  expect(await done).toBe(0);
}, 120_000);

// Slack as its users expect it, through serve's own front and composition: a refusal stays with the asker; a
// completed backup's Restore... opens a modal; a submission with a mistake gets its errors back in the answer to the
// submission itself (the front asks the main thread); a valid one restores; the Home tab is published on opening.
test('serve with Slack: private refusals, the restore modal and its checked submission, the App Home tab', async () => {
  const fake = await FakeSlackApi.start();
  cleanups.push(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), 'backstop-serve-modal-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'live'));
  writeFileSync(join(dir, 'live', 'photo.jpg'), Buffer.alloc(10_000, 7));
  const port = await freePort();
  const config = {
    http: { port },
    chat: { slack: { signingSecret, botToken: 'xoxb-serve-test', apiUrl: fake.apiUrl } },
    apps: {
      site: {
        access: { viewer: ['*'], restorer: ['slack:U123'], approver: ['slack:U456'] },
        channels: ['slack:C123'],
        environments: {
          live: { media: './live', schedule: 'off', protected: true },
          staging: { media: './staging', schedule: 'off' },
        },
      },
    },
  };
  writeFileSync(join(dir, 'backstop.yaml'), `${JSON.stringify(config)}\n`);
  const { child, done } = await startServe(dir, cleanups);
  const url = `http://127.0.0.1:${port}`;

  // A viewer's refusal goes to her alone: nothing appears in the channel.
  await postSigned(url, formBody(slashCommand({ user_id: 'U999', text: 'create media live' })));
  const refusal = await fake.waitFor(() => fake.callsTo('chat.postEphemeral')[0], 30_000);
  expect(refusal.body).toMatchObject({ channel: 'C123', user: 'U999' });
  expect(String(refusal.body['text'])).toContain('create needs the operator role on site');

  const created = await postSigned(url, formBody(slashCommand({ text: 'create media live' })));
  expect(created.status).toBe(200);
  const completed = await fake.waitFor(
    () => fake.callsTo('chat.update').find((call) => /completed/.test(String(call.body['text']))),
    60_000,
  );
  expect(fake.callsTo('chat.postMessage').map((call) => call.body['channel'])).toEqual(['C123']);
  const backupId = /Backup (\w+) of site\/live completed/.exec(String(completed.body['text']))![1]!;
  expect(JSON.stringify(completed.body['blocks'])).toContain(`"value":"restore-form:${backupId}"`);

  const click = blockActions({ user: 'U123', channel: 'C123', value: `restore-form:${backupId}` });
  await postSigned(url, payloadBody(click));
  const opened = await fake.waitFor(() => fake.callsTo('views.open')[0], 30_000);
  expect(opened.body['trigger_id']).toBe(click['trigger_id']);
  expect(opened.body['view']).toMatchObject({ type: 'modal', callback_id: 'backstop.form' });

  const submit = (values: Record<string, string | boolean>) =>
    postSigned(
      url,
      payloadBody(viewSubmission({ user: 'U123', form: `restore:${backupId}`, channel: 'C123', values })),
    );
  const mistaken = await submit({ parts: 'db', destination: 'site/staging', safetyBackup: true });
  expect([mistaken.status, await mistaken.json()]).toEqual([
    200,
    { response_action: 'errors', errors: { parts: `Choose what to restore: backup ${backupId} holds media.` } },
  ]);
  const valid = await submit({ parts: 'media', destination: 'site/staging', safetyBackup: true });
  expect([valid.status, await valid.text()]).toEqual([200, '']);
  const restored = await fake.waitFor(
    () => fake.callsTo('chat.update').find((call) => String(call.body['text']).startsWith('Restored media')),
    60_000,
  );
  expect(String(restored.body['text'])).toContain(`Restored media of backup ${backupId} into site/staging.`);

  const home = await postSigned(url, JSON.stringify(appHomeOpened('U456')), { contentType: 'application/json' });
  expect(home.status).toBe(200);
  const published = await fake.waitFor(() => fake.callsTo('views.publish')[0], 30_000);
  expect(published.body['user_id']).toBe('U456');
  expect(JSON.stringify(published.body['view'])).toContain(`*live* (protected): ${backupId} completed`);

  child.kill('SIGTERM');
  expect(await done).toBe(0);
}, 120_000);
