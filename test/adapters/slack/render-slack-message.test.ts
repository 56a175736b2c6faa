import { describe, expect, it } from 'vitest';
import { escapeSlackText, renderSlackMessage } from '../../../adapters/slack/render-slack-message.ts';
import type { ChatMessage } from '../../../commands/chat/chat-types.ts';
import { mention } from '../../../commands/chat/mention.ts';

/** An approval card as commands post it: bold text, fields, Approve and Deny buttons. */
function approvalCard(overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    outcome: 'ok',
    text: '*Restore into shop/live needs approval*\nThis overwrites the database of shop/live <production> & its media.',
    fields: [
      { label: 'Backup', value: '7k3q (2 hours old)' },
      { label: 'Note', value: 'before deploy <v2>' },
      { label: 'Parts', value: 'db+media' },
      { label: 'Safety backup', value: 'yes' },
    ],
    buttons: [
      { action: 'approve:r1', label: 'Approve', style: 'primary' },
      { action: 'deny:r1', label: 'Deny', style: 'danger' },
      { action: 'download:7k3q', label: 'Download', style: 'default' },
    ],
    ...overrides,
  };
}

const approvalCardGolden = {
  text:
    '*Restore into shop/live needs approval*\nThis overwrites the database of shop/live &lt;production&gt; &amp; its ' +
    'media.',
  blocks: [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          '*Restore into shop/live needs approval*\nThis overwrites the database of shop/live &lt;production&gt; ' +
          '&amp; its media.',
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Backup*\n7k3q (2 hours old)' },
        { type: 'mrkdwn', text: '*Note*\nbefore deploy &lt;v2&gt;' },
        { type: 'mrkdwn', text: '*Parts*\ndb+media' },
        { type: 'mrkdwn', text: '*Safety backup*\nyes' },
      ],
    },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'backstop.approve.0',
          text: { type: 'plain_text', text: 'Approve', emoji: true },
          value: 'approve:r1',
          style: 'primary',
        },
        {
          type: 'button',
          action_id: 'backstop.deny.1',
          text: { type: 'plain_text', text: 'Deny', emoji: true },
          value: 'deny:r1',
          style: 'danger',
        },
        {
          type: 'button',
          action_id: 'backstop.download.2',
          text: { type: 'plain_text', text: 'Download', emoji: true },
          value: 'download:7k3q',
        },
      ],
    },
  ],
};

describe('renderSlackMessage', () => {
  it('renders text, fields and buttons as the golden blocks', () => {
    expect(renderSlackMessage(approvalCard())).toEqual(approvalCardGolden);
  });

  it('is stable: the same message renders to the same blocks and action ids', () => {
    expect(renderSlackMessage(approvalCard())).toEqual(renderSlackMessage(approvalCard()));
  });

  it('adds a context line naming who asked for what, with the command kept inside its code span', () => {
    const rendered = renderSlackMessage(
      { outcome: 'ok', text: 'Backup 7k3q completed' },
      { user: 'U123', command: '/backup create db "a `quoted` <note>"' },
    );
    expect(rendered.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'Backup 7k3q completed' } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'Asked by <@U123>: `/backup create db "a \'quoted\' &lt;note&gt;"`' }],
      },
    ]);
  });

  it('marks failed and refused outcomes', () => {
    expect(renderSlackMessage({ outcome: 'failed', text: 'Backup 7k3q failed' }).text).toBe(':x: Backup 7k3q failed');
    expect(renderSlackMessage({ outcome: 'refused', text: 'You need the operator role' }).text).toBe(
      ':warning: You need the operator role',
    );
    expect(renderSlackMessage({ outcome: 'ok', text: 'Done' }).text).toBe('Done');
  });

  it('puts at most 10 fields in a section', () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ label: `F${i}`, value: String(i) }));
    const rendered = renderSlackMessage({ outcome: 'ok', text: 'Many', fields });
    const sections = rendered.blocks.filter((block) => 'fields' in block);
    expect(sections.map((block) => ('fields' in block ? block.fields.length : 0))).toEqual([10, 10, 3]);
    expect(sections.flatMap((block) => ('fields' in block ? block.fields.map((f) => f.text) : []))).toEqual(
      fields.map((f) => `*${f.label}*\n${f.value}`),
    );
  });

  it('splits text longer than a section allows at line ends', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `backup ${String(i).padStart(4, '0')} completed 12.3 MB`);
    const rendered = renderSlackMessage({ outcome: 'ok', text: lines.join('\n') });
    const texts = rendered.blocks.map((block) => ('text' in block ? block.text.text : ''));
    expect(texts.length).toBeGreaterThan(1);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(3000);
    expect(texts.join('\n')).toBe(lines.join('\n'));
  });

  it('escapes only the characters Slack gives meaning to', () => {
    expect(escapeSlackText('<@U1> & <!channel> *bold* `code`')).toBe(
      '&lt;@U1&gt; &amp; &lt;!channel&gt; *bold* `code`',
    );
  });

  it('mentions the Slack people Backstop names, and writes everyone else as their principal id, escaped', () => {
    const text = `Approved by ${mention('slack:U02BEN')}, asked by ${mention('api:ci<x>')} and ${mention('discord:4567')}`;
    const rendered = renderSlackMessage({ outcome: 'ok', text, fields: [{ label: 'By', value: mention('slack:W1') }] });
    expect(rendered.text).toBe('Approved by <@U02BEN>, asked by api:ci&lt;x&gt; and discord:4567');
    expect(rendered.blocks[1]).toEqual({ type: 'section', fields: [{ type: 'mrkdwn', text: '*By*\n<@W1>' }] });
  });

  it('mentions no one for text that only looks like a mention: typed text is escaped, a forged marker is text', () => {
    const note = 'note: <@U1> \uE000slack:U2\uE001';
    expect(renderSlackMessage({ outcome: 'ok', text: note }).text).toBe('note: &lt;@U1&gt; slack:U2');
  });

  it("puts a button's confirm dialog in plain text, red where going on destroys something, within Slack's limits", () => {
    const rendered = renderSlackMessage({
      outcome: 'ok',
      text: 'card',
      buttons: [
        {
          action: 'approve:r1',
          label: 'Approve',
          style: 'primary',
          confirm: {
            title: 'Approve?',
            text: 'x'.repeat(400),
            confirm: 'Approve and restore',
            deny: 'Cancel',
            danger: true,
          },
        },
        {
          action: 'restore-form:7k3q',
          label: 'Restore...',
          style: 'default',
          confirm: { title: 'Restore?', text: '<b> & co', confirm: 'Choose', deny: 'Cancel', danger: false },
        },
      ],
    });
    const [approve, restore] = (rendered.blocks[1] as unknown as { elements: Array<Record<string, unknown>> }).elements;
    expect(approve?.['confirm']).toEqual({
      title: { type: 'plain_text', text: 'Approve?', emoji: true },
      text: { type: 'plain_text', text: `${'x'.repeat(299)}…`, emoji: true },
      confirm: { type: 'plain_text', text: 'Approve and restore', emoji: true },
      deny: { type: 'plain_text', text: 'Cancel', emoji: true },
      style: 'danger',
    });
    // Plain text is shown as written: nothing to escape, and no style (Slack's default) where nothing is destroyed.
    expect(restore?.['confirm']).toEqual({
      title: { type: 'plain_text', text: 'Restore?', emoji: true },
      text: { type: 'plain_text', text: '<b> & co', emoji: true },
      confirm: { type: 'plain_text', text: 'Choose', emoji: true },
      deny: { type: 'plain_text', text: 'Cancel', emoji: true },
    });
  });
});
