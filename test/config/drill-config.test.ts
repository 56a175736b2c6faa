import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { drillServerUrl } from '../../src/domain/target.ts';

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
    // `off` as for schedule: the same as no drill settings.
    expect(parse('database: postgres://db/shop\ndrill: off').targets[0]!.drill).toBeUndefined();
  });

  test("a drill server holds the scratch databases; without one they go on the target's own server", () => {
    const [withServer] = parse(
      'database: postgres://db/shop\ndrill: { server: "postgres://drill@scratch:5433/postgres" }',
    ).targets;
    expect(withServer!.drill).toEqual({
      checks: [],
      schedule: 'off',
      server: 'postgres://drill@scratch:5433/postgres',
    });
    expect(drillServerUrl(withServer)).toBe('postgres://drill@scratch:5433/postgres');
    expect(drillServerUrl(parse('database: postgres://db/shop').targets[0])).toBe('postgres://db/shop');
    expect(drillServerUrl(parse('media: /srv/media').targets[0])).toBeUndefined();
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
    expect(() => parse('database: postgres://db/shop\ndrill: { server: scratch:5433 }')).toThrow(
      /backstop\.yaml:6: apps\.shop\.environments\.live\.drill\.server: write a postgres:\/\/ URL/,
    );
    expect(() => parse('media: /srv/media\ndrill: { server: "postgres://scratch/postgres" }')).toThrow(
      /drill\.server: a drill server holds restored databases, and this environment has no database: remove it/,
    );
    expect(() => parse('database: postgres://db/shop\ndrill: of')).toThrow(/drill is off or \{ cron, timezone/);
  });
});
