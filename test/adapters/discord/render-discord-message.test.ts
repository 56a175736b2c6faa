import { describe, expect, test } from 'vitest';
import { renderDiscordMessage, toDiscordMarkdown } from '../../../adapters/discord/render-discord-message.ts';
import { mention } from '../../../commands/chat/mention.ts';

describe('renderDiscordMessage', () => {
  test('text only: Discord markdown, no embeds or buttons (empty lists, so an edit removes old ones), no pings', () => {
    expect(renderDiscordMessage({ outcome: 'ok', text: 'Backup *7k3qx2* of shop/live completed' })).toEqual({
      content: 'Backup **7k3qx2** of shop/live completed',
      embeds: [],
      components: [],
      allowed_mentions: { parse: [] },
    });
  });

  test('an approval card: fields as an embed (short ones inline), buttons in one row', () => {
    expect(
      renderDiscordMessage({
        outcome: 'ok',
        text: '*Restore into shop/live needs approval*\nThis overwrites the database of shop/live.',
        fields: [
          { label: 'Backup', value: '7k3qx2' },
          { label: 'Age', value: '2 h' },
          { label: 'Parts', value: 'db+media' },
          { label: 'Note', value: 'before deploy of the new checkout, ask @everyone in #ops first if unsure' },
          { label: 'Safety backup', value: 'yes' },
        ],
        buttons: [
          { action: 'approve:rq1', label: 'Approve', style: 'primary' },
          { action: 'deny:rq1', label: 'Deny', style: 'danger' },
        ],
      }),
    ).toEqual({
      content: '**Restore into shop/live needs approval**\nThis overwrites the database of shop/live.',
      embeds: [
        {
          color: 0x57f287,
          fields: [
            { name: 'Backup', value: '7k3qx2', inline: true },
            { name: 'Age', value: '2 h', inline: true },
            { name: 'Parts', value: 'db+media', inline: true },
            {
              name: 'Note',
              value: 'before deploy of the new checkout, ask @everyone in #ops first if unsure',
              inline: false,
            },
            { name: 'Safety backup', value: 'yes', inline: true },
          ],
        },
      ],
      components: [
        {
          type: 1,
          components: [
            { type: 2, custom_id: 'approve:rq1', label: 'Approve', style: 1 },
            { type: 2, custom_id: 'deny:rq1', label: 'Deny', style: 4 },
          ],
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  test('buttons: five to a row, default style secondary; the embed colour follows the outcome', () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({
      action: `download:b${i}`,
      label: `Download ${i}`,
      style: 'default' as const,
    }));
    const rendered = renderDiscordMessage({
      outcome: 'failed',
      text: 'x',
      fields: [{ label: 'Error', value: 'pg_dump exited 1' }],
      buttons,
    });
    expect(rendered.components.map((row) => row.components.map((b) => b.custom_id))).toEqual([
      ['download:b0', 'download:b1', 'download:b2', 'download:b3', 'download:b4'],
      ['download:b5', 'download:b6'],
    ]);
    expect(rendered.components[0]!.components[0]).toEqual({
      type: 2,
      custom_id: 'download:b0',
      label: 'Download 0',
      style: 2,
    });
    expect(rendered.embeds[0]!.color).toBe(0xed4245);
    expect(renderDiscordMessage({ outcome: 'refused', text: 'x', fields: [{ label: 'a', value: '' }] }).embeds).toEqual(
      [{ color: 0xfee75c, fields: [{ name: 'a', value: '—', inline: true }] }],
    );
  });

  test('content longer than Discord allows is cut at a line with a marker', () => {
    const text = Array.from({ length: 100 }, (_, i) => `backup line ${i} `.padEnd(40, '.')).join('\n');
    const { content } = renderDiscordMessage({ outcome: 'ok', text });
    expect(content.length).toBeLessThanOrEqual(2000);
    expect(content).toMatch(/\.\n… \(cut: Discord shows 2000 characters; the CLI shows everything\)$/);
  });
});

describe('renderDiscordMessage: people are mentioned', () => {
  const ana = mention('discord:333333333333333333');
  const bea = mention('discord:999999999999999999');

  test("a Discord user named in a card's text and fields becomes a mention, which pings nobody", () => {
    const rendered = renderDiscordMessage({
      outcome: 'ok',
      text:
        `*Restore request r4x9ka*: ${ana} asks to restore backup 7k3qx2 into *shop/live*.\n` +
        `Restored into shop/live, asked by ${ana}, approved by ${bea}.`,
      fields: [{ label: 'Requested by', value: ana }],
    });
    expect(rendered.content).toBe(
      '**Restore request r4x9ka**: <@333333333333333333> asks to restore backup 7k3qx2 into **shop/live**.\n' +
        'Restored into shop/live, asked by <@333333333333333333>, approved by <@999999999999999999>.',
    );
    expect(rendered.embeds[0]!.fields).toEqual([
      { name: 'Requested by', value: '<@333333333333333333>', inline: true },
    ]);
    expect(rendered.allowed_mentions).toEqual({ parse: [] });
  });

  test('in bold, in a "who asked" line, after a link; principals only written as text stay as they are', () => {
    const someone = mention('discord:42');
    expect(
      renderDiscordMessage({
        outcome: 'ok',
        text:
          `op 4tq9zz  backup 7k3qx2 of shop/live  queued  by ${someone}\n*${someone}*\nhttps://x.example/d${someone}\n` +
          'slack:U123 discord-role:777 discord-channel:222 discord:5 note: discord:42 https://x.example/discord:7',
      }).content,
    ).toBe(
      'op 4tq9zz  backup 7k3qx2 of shop/live  queued  by <@42>\n**<@42>**\n<https://x.example/d><@42>\n' +
        'slack:U123 discord-role:777 discord-channel:222 discord:5 note: discord:42 <https://x.example/discord:7>',
    );
  });

  test('a refusal names people too ("already approved by"), and keeps a principal written as text', () => {
    const text = `Already approved by ${mention('discord:42')}. Ask whoever runs Backstop to add discord:333 to apps.shop.access.approver.`;
    expect(renderDiscordMessage({ outcome: 'refused', text }).content).toBe(
      'Already approved by <@42>. Ask whoever runs Backstop to add discord:333 to apps.shop.access.approver.',
    );
  });

  test("not in a refusal: it tells what to add to the config's access lists", () => {
    const text =
      'create needs the operator role on shop, which discord:333 does not have. Ask whoever runs Backstop to add ' +
      'discord:333 to apps.shop.access.operator.';
    expect(renderDiscordMessage({ outcome: 'refused', text }).content).toBe(text);
  });
});

describe('toDiscordMarkdown', () => {
  test.each([
    ['*bold* and *more bold*', '**bold** and **more bold**'],
    ['note "my_db ~x~ `y` ||z|| [a](b)"', 'note "my\\_db \\~x\\~ \\`y\\` \\|\\|z\\|\\| \\[a\\](b)"'],
    ['a lone * stays', 'a lone \\* stays'],
    ['> not a quote\n# not a heading', '\\> not a quote\n\\# not a heading'],
    [
      'link: https://s3.example.com/b/k?X-Amz-Credential=a%2Faws4_request&X-Amz-Signature=ab_cd.',
      'link: <https://s3.example.com/b/k?X-Amz-Credential=a%2Faws4_request&X-Amz-Signature=ab_cd>.',
    ],
    ['*shop/live*: https://x.example/d/1_2', '**shop/live**: <https://x.example/d/1_2>'],
  ])('%s', (text, markdown) => {
    expect(toDiscordMarkdown(text)).toBe(markdown);
  });
});

describe('mentions', () => {
  test('a Discord user Backstop names is a mention, without a ping; anyone else is their principal id, escaped', () => {
    const text = `*Restore request r1*: ${mention('discord:333333333333333333')} asks; ${mention('slack:U1')} and ${mention('api:ci_x')}`;
    const rendered = renderDiscordMessage({ outcome: 'ok', text });
    expect(rendered.content).toBe('**Restore request r1**: <@333333333333333333> asks; slack:U1 and api:ci\\_x');
    expect(rendered.allowed_mentions).toEqual({ parse: [] });
  });
});
