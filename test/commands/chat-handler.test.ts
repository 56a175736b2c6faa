import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ApprovalCards } from '../../commands/chat/approval-cards.ts';
import type { ChatContext } from '../../commands/chat/chat-handler.ts';
import type { ChatCaller, ChatForm, ChatHandler, ChatMessage, ChatOutput } from '../../commands/chat/chat-types.ts';
import { mention } from '../../commands/chat/mention.ts';
import { type ChatRig, startChatRig } from '../support/chat.ts';
import { type TestEngine, target } from '../support/engine.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** A chat output that records everything, as an adapter would render it. */
class RecordingOutput implements ChatOutput {
  readonly updates: ChatMessage[] = [];
  readonly privates: ChatMessage[] = [];
  readonly announced: ChatMessage[] = [];
  readonly edits: Array<{ reference: string; message: ChatMessage }> = [];
  async update(message: ChatMessage) {
    this.updates.push(message);
  }
  async private(message: ChatMessage) {
    this.privates.push(message);
  }
  async announce(message: ChatMessage) {
    this.announced.push(message);
    return `card-${this.announced.length}`;
  }
  async edit(reference: string, message: ChatMessage) {
    this.edits.push({ reference, message });
  }
  /** The last public update. */
  last(): ChatMessage {
    return this.updates.at(-1)!;
  }
  /** The last private message. */
  lastPrivate(): ChatMessage {
    return this.privates.at(-1)!;
  }
}

const work = mkdtempSync(join(tmpdir(), 'backstop-chat-'));
const live = join(work, 'live');
const staging = join(work, 'staging');
let rig: ChatRig;
let engine: TestEngine;
let handler: ChatHandler;
let chat: ChatContext;
const clock = new ManualClock(new Date());

const caller = (user: string, channel = 'slack-channel:C1'): ChatCaller => ({
  platform: 'slack',
  user,
  groups: [],
  channel,
});
const ana = caller('slack:UANA');
const bob = caller('slack:UBOB');
const eve = caller('slack:UEVE');

beforeAll(async () => {
  mkdirSync(live, { recursive: true });
  writeFileSync(join(live, 'logo.png'), 'live pixels');
  rig = await startChatRig({
    apps: {
      shop: {
        environments: { live: { protected: true }, staging: { protected: false } },
        access: { viewer: ['*'], operator: ['slack:UANA'], restorer: ['slack:UANA'], approver: ['slack:UBOB'] },
        channels: ['slack:C1'],
      },
    },
    targets: [target('shop', 'live', { mediaDir: live }, true), target('shop', 'staging', { mediaDir: staging })],
    clock: () => clock.now(),
  });
  ({ engine, handler, chat } = rig);
}, 60_000);

afterAll(async () => {
  await rig?.close();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  clock.set(new Date());
});

async function backupOfLive(note: string): Promise<string> {
  const output = new RecordingOutput();
  await handler.command(ana, `create media live "${note}"`, output);
  expect(output.last()).toMatchObject({ outcome: 'ok', text: expect.stringContaining('completed') });
  return (output.last().data as { id: string }).id;
}

describe('the /backup command in chat', () => {
  test('create in a bound channel runs to the end and reports the completed backup, audited', async () => {
    const output = new RecordingOutput();
    await handler.command(ana, 'create media live "before deploy"', output);
    expect(output.last().text).toMatch(/Backup \w+ of shop\/live completed: media /);
    const [entry] = await chat.engine.audit.list({ app: 'shop' });
    expect(entry).toMatchObject({
      principal: 'slack:UANA',
      action: 'create media live "before deploy"',
      outcome: 'ok',
    });
  });

  test('/backup drill in a bound channel drills the newest backup and tells the channel it was proven restorable, audited', async () => {
    const id = await backupOfLive('to drill');
    const refused = new RecordingOutput();
    await handler.command(eve, 'drill live', refused);
    // A refusal goes to the caller alone; the drill itself is work the channel sees.
    expect(refused.updates).toEqual([]);
    expect(refused.lastPrivate()).toMatchObject({
      outcome: 'refused',
      text: expect.stringContaining('drill needs the operator role on shop'),
    });
    const output = new RecordingOutput();
    await handler.command(ana, 'drill live', output);
    expect(output.privates).toEqual([]);
    expect(output.last()).toMatchObject({ outcome: 'ok' });
    expect(output.last().text).toMatch(
      new RegExp(`^Drill \\w+: backup ${id} of shop/live proven restorable \\(in [\\d.]+ s\\)\\.$`),
    );
    const [entry] = await chat.engine.audit.list({ app: 'shop' });
    expect(entry).toMatchObject({ principal: 'slack:UANA', action: 'drill live', outcome: 'ok' });
  });

  test('a user without the role is refused, told which role, and the refusal is audited', async () => {
    const output = new RecordingOutput();
    await handler.command(eve, 'create media live', output);
    // Told to the caller alone: the channel sees nothing of a refusal.
    expect(output.updates).toEqual([]);
    expect(output.lastPrivate()).toMatchObject({ outcome: 'refused' });
    expect(output.lastPrivate().text).toContain('create needs the operator role on shop');
    expect(output.lastPrivate().text).toContain('apps.shop.access.operator');
    const [entry] = await chat.engine.audit.list({ app: 'shop' });
    expect(entry).toMatchObject({ principal: 'slack:UEVE', outcome: 'refused' });
  });

  test('a mistyped command gets the suggestion and the usage line', async () => {
    const output = new RecordingOutput();
    await handler.command(ana, 'restor abc123', output);
    expect(output.updates).toEqual([]);
    expect(output.lastPrivate()).toMatchObject({
      outcome: 'refused',
      text: expect.stringContaining("did you mean 'restore'"),
    });
  });

  test('a button whose request id holds a NUL byte finds no request; the refusal is audited', async () => {
    // Typed commands never carry such ids (the parser takes only letters and digits); a button's value is not parsed.
    const logged = engine.logs.length;
    for (const action of ['approve:r\u0000', `deny:${'z'.repeat(5000)}`]) {
      const click = new RecordingOutput();
      await handler.action(bob, action, click);
      expect(click.privates).toEqual([
        {
          outcome: 'refused',
          text: expect.stringMatching(/^There is no restore request "[\w\\.]{1,50}": Backstop ids/),
        },
      ]);
    }
    // The state refused both before any query: nothing failed, and both refusals are in the audit log, the NUL byte
    // (which PostgreSQL text cannot hold) written as U+FFFD.
    expect(engine.logs.slice(logged)).toEqual([]);
    const audited = (await chat.engine.audit.list()).slice(0, 2);
    expect(audited.map((e) => [e.principal, e.action.slice(0, 10), e.outcome])).toEqual([
      ['slack:UBOB', 'deny zzzzz', 'refused'],
      ['slack:UBOB', 'approve r\uFFFD', 'refused'],
    ]);
  });

  test('a flag chat does not have (--json) and a misplaced part are refused with the usage line; nothing is queued', async () => {
    const flag = new RecordingOutput();
    await handler.command(ana, 'create media live --json', flag);
    expect(flag.updates).toEqual([]);
    expect(flag.lastPrivate()).toEqual({
      outcome: 'refused',
      text:
        "unexpected '--json': create takes no flags (a note that starts with a dash goes after --: create ... -- --json)\n" +
        'Usage: /backup create [db|media|db+media] [<app/env>] [note...]',
    });
    const misplaced = new RecordingOutput();
    await handler.command(ana, 'create shop/live media', misplaced);
    expect(misplaced.lastPrivate().text).toContain(
      "'media' names parts, which come right after create: write: create media shop/live",
    );
    expect(await chat.engine.operations.listActive()).toEqual([]);
  });

  test('a restore into a protected target posts a card; a second person approves; the destination is restored', async () => {
    const id = await backupOfLive('good state');
    writeFileSync(join(live, 'logo.png'), 'broken pixels');
    const asked = new RecordingOutput();
    await handler.command(ana, `restore ${id}`, asked);
    // The card tells the channel; the requester alone hears that it waits.
    expect(asked.updates).toEqual([]);
    expect(asked.lastPrivate().text).toContain('is protected: restore request');
    const [card] = asked.announced;
    // People are mentions, which each platform renders its own way.
    expect(card?.text).toContain(`${mention('slack:UANA')} asks to restore backup ${id}`);
    expect(card?.fields?.map((f) => f.label)).toEqual([
      'Backup',
      'Age',
      'Note',
      'Size',
      'Parts',
      'Destination',
      'This overwrites',
      'Safety backup first',
    ]);
    expect(card?.fields?.find((f) => f.label === 'Note')?.value).toBe('good state');
    const approve = card!.buttons!.find((b) => b.label === 'Approve')!.action;
    expect(readFileSync(join(live, 'logo.png'), 'utf8')).toBe('broken pixels');

    // The requester cannot approve their own restore; someone without the approver role cannot either.
    const self = new RecordingOutput();
    await handler.action(ana, approve, self);
    expect(self.privates[0]?.text).toContain('someone else with the approver role must approve it');
    const stranger = new RecordingOutput();
    await handler.action(eve, approve, stranger);
    expect(stranger.privates[0]?.text).toContain('you need the approver role on shop');

    // Two clicks at once (two copies of the card): exactly one restore.
    const first = new RecordingOutput();
    const second = new RecordingOutput();
    await Promise.all([handler.action(bob, approve, first), handler.action(bob, approve, second)]);
    const requestId = approve.split(':')[1]!;
    const request = await chat.engine.requests.get(requestId);
    expect(request).toMatchObject({ status: 'approved', decidedBy: 'slack:UBOB', restoreId: expect.any(String) });
    const restores = await engine.state.db.selectFrom('restores').selectAll().where('backup_id', '=', id).execute();
    expect(restores).toHaveLength(1);
    expect([...first.privates, ...second.privates].map((m) => m.text)).toEqual([
      expect.stringContaining(`was already approved by ${mention('slack:UBOB')}`),
    ]);
    expect(readFileSync(join(live, 'logo.png'), 'utf8')).toBe('live pixels');
    const finalCard = [...first.edits, ...second.edits].at(-1)!.message;
    expect(finalCard.text).toContain(`asked by ${mention('slack:UANA')}, approved by ${mention('slack:UBOB')}`);
    expect(finalCard.buttons).toBeUndefined();
    // Progress is shown paced: never the same words twice in a row (each edit counts against the platform's limit).
    for (const output of [first, second]) {
      const texts = output.edits.map((e) => `${e.reference} ${e.message.text}`);
      expect(texts.filter((text, i) => i > 0 && text === texts[i - 1])).toEqual([]);
    }
  }, 60_000);

  test('an expired request cannot be approved, and its card says so', async () => {
    const id = await backupOfLive('to expire');
    const asked = new RecordingOutput();
    await handler.command(ana, `restore ${id}`, asked);
    const approve = asked.announced[0]!.buttons![0]!.action;
    clock.advance(31 * 60);
    const late = new RecordingOutput();
    await handler.action(bob, approve, late);
    expect(late.privates[0]?.text).toContain('expired');
    expect(late.edits.at(-1)?.message.text).toContain('Expired at');
    expect((await chat.engine.requests.get(approve.split(':')[1]!)).status).toBe('expired');
  }, 60_000);

  test('a request nobody decides expires on its own: its card says so at once, one instance edits it, audited', async () => {
    const id = await backupOfLive('left waiting');
    const asked = new RecordingOutput();
    await handler.command(ana, `restore ${id}`, asked);
    const requestId = asked.announced[0]!.buttons![0]!.action.split(':')[1]!;
    const platform = (prefix: string, owns: (reference: string) => boolean) => {
      const edits: Array<{ reference: string; message: ChatMessage }> = [];
      return {
        channelPrefix: prefix,
        post: async () => 'unused',
        owns,
        edit: async (reference: string, message: ChatMessage) => {
          edits.push({ reference, message });
        },
        edits,
      };
    };
    const discord = platform('discord-channel:', (reference) => reference.startsWith('discord1.'));
    const slack = platform('slack-channel:', (reference) => reference.startsWith('card-'));
    const expiry = new ApprovalCards(chat, [discord, slack]);

    // Not yet due: nothing changes.
    clock.advance(29 * 60);
    expect(await expiry.tick()).toBe(0);
    expect((await chat.engine.requests.get(requestId)).status).toBe('pending');

    clock.advance(2 * 60);
    // Two instances tick at once: the request is expired once and its card edited once, by the platform that owns it.
    const [first, second] = await Promise.all([expiry.tick(), new ApprovalCards(chat, [discord, slack]).tick()]);
    expect(first + second).toBe(1);
    expect((await chat.engine.requests.get(requestId)).status).toBe('expired');
    expect(discord.edits).toEqual([]);
    expect(slack.edits.map((e) => e.reference)).toEqual(['card-1']);
    const [edited] = slack.edits;
    expect(edited?.message.text).toContain(`Restore request ${requestId}`);
    expect(edited?.message.text).toContain('Expired at');
    expect(edited?.message.buttons).toBeUndefined();
    const audit = await chat.engine.audit.list({ app: 'shop' });
    expect(audit.find((entry) => entry.action === `expire ${requestId}`)).toMatchObject({
      principal: 'backstop',
      outcome: 'ok',
    });
    expect(await expiry.tick()).toBe(0);

    // A late click is refused and restores nothing.
    const late = new RecordingOutput();
    await handler.action(bob, `approve:${requestId}`, late);
    expect(late.privates[0]?.text).toContain('expired');
    expect((await chat.engine.requests.get(requestId)).restoreId).toBeNull();
  }, 60_000);

  test('the requester can withdraw; a denied request restores nothing', async () => {
    const id = await backupOfLive('to withdraw');
    for (const [verb, who, status] of [
      ['withdraw', ana, 'withdrawn'],
      ['deny', bob, 'denied'],
    ] as const) {
      const asked = new RecordingOutput();
      await handler.command(ana, `restore ${id}`, asked);
      const button = asked.announced[0]!.buttons!.find((b) => b.action.startsWith(verb))!.action;
      const click = new RecordingOutput();
      await handler.action(who, button, click);
      expect((await chat.engine.requests.get(button.split(':')[1]!)).status).toBe(status);
      expect(click.edits.at(-1)?.message.text).toContain('nothing was restored');
    }
  }, 60_000);

  test('a restore into an unprotected target runs at once', async () => {
    const id = await backupOfLive('to staging');
    const output = new RecordingOutput();
    await handler.command(ana, `restore ${id} to staging`, output);
    expect(output.announced).toEqual([]);
    expect(output.last().text).toContain('into shop/staging');
    expect(readFileSync(join(staging, 'logo.png'), 'utf8')).toBe('live pixels');
  }, 60_000);

  test('download links go to the requester privately; the channel only hears that they are ready', async () => {
    const id = await backupOfLive('to download');
    const output = new RecordingOutput();
    await handler.command(ana, `download ${id}`, output);
    expect(output.privates[0]?.text).toContain('/downloads/');
    expect(output.last().text).toContain('the links were sent privately');
    expect(output.last().text).not.toContain('/downloads/');
    // The address the platform knows (Slack's profile) is where the links are emailed; it is read only for a
    // command that sends mail.
    let lookups = 0;
    const anaWithProfile = {
      ...ana,
      email: async () => {
        lookups += 1;
        return 'ana@example.com';
      },
    };
    const shown = new RecordingOutput();
    await handler.command(anaWithProfile, `show ${id}`, shown);
    expect(shown.lastPrivate().outcome).toBe('ok');
    expect(lookups).toBe(0);
    const withEmail = new RecordingOutput();
    await handler.command(anaWithProfile, `download ${id}`, withEmail);
    expect(lookups).toBe(1);
    const downloadId = (withEmail.privates[0]!.data as { id: string }).id;
    expect((await engine.ctx.downloads.get(downloadId)).email).toBe('ana@example.com');
    // Shown again by its id, the links go to the asker alone too, and a read tells the channel nothing.
    const again = new RecordingOutput();
    await handler.command(ana, `show ${downloadId}`, again);
    expect(again.privates[0]?.text).toContain('/downloads/');
    expect(again.updates).toEqual([]);
  }, 60_000);

  test('a completed backup offers "Prepare download"; a click sends the clicker the links privately', async () => {
    const output = new RecordingOutput();
    await handler.command(ana, 'create media live', output);
    const button = output.last().buttons?.find((b) => b.label === 'Prepare download');
    expect(button?.action).toMatch(/^download:[a-z0-9]+$/);
    const click = new RecordingOutput();
    await handler.action(ana, button!.action, click);
    expect(click.updates).toEqual([]);
    expect(click.privates.map((m) => m.text).join('\n')).toContain('/downloads/');
    const refused = new RecordingOutput();
    await handler.action(eve, button!.action, refused);
    expect(refused.privates[0]?.text).toContain('download needs the operator role on shop');
  }, 60_000);

  test('help and reads answer the asker alone; a change shows in the channel from when its work starts', async () => {
    for (const words of ['help', 'list live', 'status', 'schedule', 'prune live --dry-run']) {
      const read = new RecordingOutput();
      await handler.command(ana, words, read);
      expect([words, read.updates]).toEqual([words, []]);
      expect(read.privates).toHaveLength(1);
    }
    const created = new RecordingOutput();
    await handler.command(ana, 'create media live', created);
    expect(created.updates[0]).toEqual({ outcome: 'ok', text: 'Working on `/backup create media live`...' });
    expect(created.last().text).toMatch(/completed/);
    expect(created.privates).toEqual([]);
  }, 60_000);

  test('who asked is a mention in what chat shows (show, status), the principal id on the command line', async () => {
    const id = await backupOfLive('who asked');
    const shown = new RecordingOutput();
    await handler.command(ana, `show ${id}`, shown);
    expect(shown.lastPrivate().text).toContain(`trigger:   on-demand by ${mention('slack:UANA')}`);
  }, 60_000);

  test('Restore... opens the restore form where the platform has forms, and says what to type where it has none', async () => {
    const id = await backupOfLive('to restore by form');
    const forms: ChatForm[] = [];
    const withForms = Object.assign(new RecordingOutput(), {
      openForm: async (form: ChatForm) => {
        forms.push(form);
      },
    });
    await handler.action(ana, `restore-form:${id}`, withForms);
    expect(forms.map((form) => [form.id, form.fields.map((field) => field.name)])).toEqual([
      [`restore:${id}`, ['parts', 'destination', 'safetyBackup']],
    ]);
    const without = new RecordingOutput();
    await handler.action(ana, `restore-form:${id}`, without);
    expect(without.lastPrivate().text).toBe(
      `Restore it with: /backup restore ${id} [db|media|db+media] [to <app/env>] [--no-safety-backup]`,
    );
    // Checked and submitted, it is the typed restore.
    const values = { parts: 'media', destination: 'shop/staging', safetyBackup: false };
    expect(await handler.checkForm(eve, `restore:${id}`, values)).toEqual({
      destination: expect.stringContaining('restore needs the restorer role on shop'),
    });
    expect(await handler.checkForm(ana, `restore:${id}`, values)).toEqual({});
    const submitted = new RecordingOutput();
    await handler.submitForm(ana, `restore:${id}`, values, submitted);
    expect(submitted.last().text).toContain(`Restored media of backup ${id} into shop/staging. No safety backup`);
  }, 60_000);
});
