import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

const parse = (environment: string) =>
  parseConfig(
    `apps:\n  shop:\n    environments:\n      live:\n${environment
      .split('\n')
      .map((line) => `        ${line}`)
      .join('\n')}\n`,
    '/etc/backstop.yaml',
    { env: {}, cwd: '/' },
  );

describe('drill: in the config', () => {
  test('off unless a cron is given; checks and time zone are taken as written', () => {
    expect(parse('database: postgres://db/shop').targets[0]!.drill).toBeUndefined();
    expect(parse('database: postgres://db/shop\ndrill: { checks: ["select true"] }').targets[0]!.drill).toEqual({
      checks: ['select true'],
      schedule: 'off',
    });
    expect(
      parse('database: postgres://db/shop\ndrill: { cron: "0 5 * * 0", timezone: Europe/Zurich }').targets[0]!.drill,
    ).toEqual({ checks: [], schedule: { cron: '0 5 * * 0', timezone: 'Europe/Zurich' } });
  });

  test('a mistake names its line, its path and the fix', () => {
    expect(() => parse('database: postgres://db/shop\ndrill: { cron: "0 25 * * *" }')).toThrow(
      /backstop\.yaml:6: apps\.shop\.environments\.live\.drill\.cron: .*hour/,
    );
    expect(() => parse('database: postgres://db/shop\ndrill: { chekcs: [] }')).toThrow(
      /apps\.shop\.environments\.live\.drill: unknown key 'chekcs' \(did you mean 'checks'\?\)/,
    );
    expect(() => parse('media: /srv/media\ndrill: { checks: ["select true"] }')).toThrow(
      /drill checks run in the restored database, and this environment has no database: remove them/,
    );
  });
});
