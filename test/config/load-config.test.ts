// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the configuration syntax under test.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { interpolate } from '../../src/config/interpolate.ts';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';

const options = { env: {}, cwd: '/srv' };

function problemsOf(text: string, env: Record<string, string> = {}): string {
  let message = '';
  try {
    parseConfig(text, '/etc/backstop.yaml', { env, cwd: '/' });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).not.toBe('');
  return message;
}

describe('interpolate', () => {
  test.each([
    ['${A}', { A: 'x' }, 'x', []],
    ['pre-${A}-post', { A: 'x' }, 'pre-x-post', []],
    ['${MISSING}', {}, '', ['MISSING']],
    ['${EMPTY:-fallback}', { EMPTY: '' }, 'fallback', []],
    ['${MISSING:-}', {}, '', []],
    ['$${A}', { A: 'x' }, '${A}', []],
  ])('%s', (text, env, value, missing) => {
    expect(interpolate(text, env)).toEqual({ value, missing });
  });
});

describe('loadConfig', () => {
  test('without a file it runs on embedded defaults in ./.backstop, and says which file it looked for', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'backstop-config-'));
    const config = loadConfig({ env: {}, cwd });
    expect(config.source).toBeUndefined();
    expect(config.lookedFor).toBe(join(cwd, 'backstop.yaml'));
    expect(config.stateDatabaseUrl).toBeUndefined();
    expect(config.storage).toEqual({ type: 'dir', path: join(config.dataDir, 'backups') });
    expect(config.encryption.generated).toBe(true);
    expect(config.targets).toEqual([]);
  });

  test('number and yes/no settings can come from environment variables', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'b-'));
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      'http:\n  port: ${PORT}\nworkers:\n  concurrency: "${WORKERS:-3}"\n' +
        'apps:\n  shop:\n    environments:\n      live:\n        media: ./m\n        protected: ${PROTECTED}\n',
    );
    const config = loadConfig({ env: { PORT: '9090', PROTECTED: 'true' }, cwd });
    expect(config.raw.http?.port).toBe(9090);
    expect(config.raw.workers?.concurrency).toBe(3);
    expect(config.targets[0]?.protected).toBe(true);
    expect(() => loadConfig({ env: { PORT: 'eighty', PROTECTED: 'true' }, cwd })).toThrow(
      expect.objectContaining({ code: 'config-invalid', message: expect.stringContaining('http.port') }),
    );
  });

  test('DATABASE_URL selects PostgreSQL for the state', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'b-'));
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      'encryption: { recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p], identities: [./k] }\n',
    );
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://x@db/state' }, cwd });
    expect(config.stateDatabaseUrl).toBe('postgres://x@db/state');
  });

  test('encryption: with identities and no recipients encrypts to the identities own keys', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'b-'));
    writeFileSync(join(cwd, 'backstop.yaml'), 'encryption: { identities: [/keys/backstop.key] }\n');
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://x@db/state' }, cwd });
    expect(config.encryption).toEqual({
      recipients: [],
      identityFiles: ['/keys/backstop.key'],
      recipientsFromIdentities: true,
      generated: false,
    });
  });

  test("shared state without an encryption: section is refused: a generated key would be one instance's own", () => {
    expect(() =>
      loadConfig({ env: { DATABASE_URL: 'postgres://x@db/state' }, cwd: mkdtempSync(join(tmpdir(), 'b-')) }),
    ).toThrow(
      expect.objectContaining({ code: 'config-invalid', message: expect.stringContaining('encryption: is needed') }),
    );
  });

  test('a named file that does not exist is refused with its path', () => {
    expect(() => loadConfig({ ...options, explicitPath: 'nope.yaml' })).toThrow(
      expect.objectContaining({ code: 'config-missing', message: expect.stringContaining('/srv/nope.yaml') }),
    );
  });

  test('the example configuration is valid', () => {
    const config = loadConfig({
      explicitPath: join(import.meta.dirname, '../../examples/backstop.yaml'),
      env: { SHOP_LIVE_DATABASE_URL: 'postgres://shop@db/live', SHOP_MEDIA_KEY: 'k', SHOP_MEDIA_SECRET: 's' },
      cwd: '/',
    });
    expect(config.targets.map((t) => `${t.app}/${t.env}`)).toEqual(['shop/live', 'shop/staging']);
    expect(config.targets[1]?.media).toMatchObject({ type: 's3', bucket: 'shop-media', prefix: 'staging/' });
  });

  test('paths are resolved against the file, defaults applied, environments read', () => {
    const config = parseConfig(
      `dataDir: data
storage:
  s3: { bucket: backups, prefix: /team/x/, endpoint: "http://127.0.0.1:9000", forcePathStyle: true }
apps:
  shop:
    environments:
      live: { database: "\${LIVE_URL}", media: ./media, protected: true }
`,
      '/etc/backstop/backstop.yaml',
      { env: { LIVE_URL: 'postgres://u:secret@h/db' }, cwd: '/' },
    );
    expect(config.dataDir).toBe('/etc/backstop/data');
    expect(config.storage).toMatchObject({
      type: 's3',
      bucket: 'backups',
      prefix: 'team/x/',
      storageClass: 'STANDARD_IA',
    });
    expect(config.targets).toEqual([
      {
        app: 'shop',
        env: 'live',
        database: 'postgres://u:secret@h/db',
        media: { type: 'dir', path: '/etc/backstop/media' },
        protected: true,
        schedule: { cron: '0 2 * * *', timezone: 'UTC', parts: 'db+media' },
        retention: {
          onDemand: { keepLast: 3, maxAgeDays: 30 },
          scheduled: { daily: 7, weekly: 4, monthly: 12 },
          timezone: 'UTC',
        },
      },
    ]);
  });

  test('retention comes from the environment, else the app, else the defaults, in the schedule time zone', () => {
    const config = parseConfig(
      `apps:
  shop:
    retention: { onDemand: { keepLast: 5 } }
    environments:
      live:
        media: /m
        schedule: { timezone: Europe/Zurich }
        retention: { scheduled: { daily: 14 } }
      staging: { media: /s, schedule: off }
`,
      '/etc/backstop.yaml',
      { env: {}, cwd: '/' },
    );
    expect(config.targets.map((t) => t.retention)).toEqual([
      {
        onDemand: { keepLast: 5, maxAgeDays: 30 },
        scheduled: { daily: 14, weekly: 4, monthly: 12 },
        timezone: 'Europe/Zurich',
      },
      { onDemand: { keepLast: 5, maxAgeDays: 30 }, scheduled: { daily: 7, weekly: 4, monthly: 12 }, timezone: 'UTC' },
    ]);
    expect(config.targets[1]?.schedule).toBe('off');
  });

  test('compression comes from the environment, else the app; compressionLevel is its older name', () => {
    const config = parseConfig(
      `apps:
  shop:
    compression: zstd:3
    environments:
      live: { database: postgres://db/live }
      staging: { database: postgres://db/staging, compression: 0 }
      test: { database: postgres://db/test, compressionLevel: 4 }
  blog:
    environments:
      live: { database: postgres://db/blog }
`,
      '/etc/backstop.yaml',
      { env: {}, cwd: '/' },
    );
    expect(config.targets.map((t) => [`${t.app}/${t.env}`, t.compression])).toEqual([
      ['shop/live', { method: 'zstd', level: 3 }],
      ['shop/staging', { method: 'none' }],
      ['shop/test', { method: 'gzip', level: 4 }],
      ['blog/live', undefined],
    ]);
  });

  test('a compression that is not one is named with its line and what to write', () => {
    const problems = problemsOf(`apps:
  shop:
    environments:
      live:
        database: postgres://db/live
        compression: brotli
      staging: { database: postgres://db/staging, compression: 3, compressionLevel: 3 }
      test: { database: postgres://db/test, compression: }
      dev: { database: postgres://db/dev, compressionLevel: 12 }
      ci: { database: postgres://db/ci, compressionLevel: gzip:5 }
`);
    expect(problems).toMatch(
      /backstop.yaml:6: apps\.shop\.environments\.live\.compression: write a level 0-9, none, or gzip, lz4 or zstd.*not "brotli"/s,
    );
    expect(problems).toMatch(/backstop.yaml:7: apps\.shop\.environments\.staging\.compressionLevel.*not both/s);
    expect(problems).toMatch(
      /backstop.yaml:8: apps\.shop\.environments\.test\.compression: write a level 0-9, none, or/,
    );
    expect(problems).toMatch(
      /backstop.yaml:9: .*dev\.compressionLevel: compressionLevel is a gzip level from 0 to 9;.*not 12/,
    );
    expect(problems).toMatch(
      /backstop.yaml:10: .*ci\.compressionLevel: .*write compression: \(e\.g\. gzip:5, none\), not "gzip:5"/,
    );
  });

  test('excludeTableData and codeVersion reach the target; mistakes in them are named with line, path and fix', () => {
    const config = parseConfig(
      `apps:
  shop:
    environments:
      live:
        database: postgres://db/live
        excludeTableData: [django_session, "audit.log_*"]
        codeVersion: { command: git -C /srv/shop rev-parse HEAD }
      staging: { database: postgres://db/staging, codeVersion: { env: APP_REVISION }, excludeTableData: [] }
`,
      '/etc/backstop.yaml',
      { env: {}, cwd: '/' },
    );
    expect(config.targets.map((t) => [t.excludeTableData, t.codeVersion])).toEqual([
      [['django_session', 'audit.log_*'], { command: 'git -C /srv/shop rev-parse HEAD' }],
      [undefined, { env: 'APP_REVISION' }],
    ]);

    const problems = problemsOf(`apps:
  shop:
    environments:
      live:
        database: postgres://db/live
        excludeTableData: django_session
      staging:
        database: postgres://db/staging
        excludeTableData: [shop.audit.log, --exclude-table=x, ""]
      media:
        media: /srv/media
        excludeTableData: [sessions]
      test:
        database: postgres://db/test
        codeVersion: git rev-parse HEAD
      dev:
        database: postgres://db/dev
        codeVersion: { env: "app revision" }
`);
    expect(problems).toMatch(
      /backstop.yaml:6: apps\.shop\.environments\.live\.excludeTableData: write a list, e\.g\. \[a, b\] \(found a string\)/,
    );
    expect(problems).toMatch(
      /backstop.yaml:9: .*staging\.excludeTableData\[0\]: .*more than one "\." \(write schema\.table\)/,
    );
    expect(problems).toMatch(
      /backstop.yaml:9: .*staging\.excludeTableData\[1\]: write the table pattern alone, without a pg_dump option/,
    );
    expect(problems).toMatch(
      /backstop.yaml:9: .*staging\.excludeTableData\[2\]: write a table pattern such as django_session/,
    );
    expect(problems).toMatch(
      /backstop.yaml:12: .*media\.excludeTableData: excludeTableData applies to the database part/,
    );
    expect(problems).toMatch(/backstop.yaml:15: .*test\.codeVersion: codeVersion is \{ env: VARIABLE \}/);
    expect(problems).toMatch(/backstop.yaml:18: .*dev\.codeVersion\.env: write an environment variable name/);
  });

  test("a misspelt key whose value is an indented block is named on its own line, not the block's first", () => {
    const problems = problemsOf(`apps:
  shop:
    enviroments:
      live:
        database: postgres://db/live
`);
    expect(problems).toMatch(
      /backstop.yaml:3: apps\.shop: unknown key 'enviroments' \(did you mean 'environments'\?\)/,
    );
  });

  test('every mistake is named with its line, its path and what to write', () => {
    const message = problemsOf(`dataDir: ./data
databse: x
apps:
  shop:
    environments:
      live:
        database: \${SHOP_LIVE_URL}
        protectd: true
      staging:
        database: mysql://root:hunter2@db/shop
`);
    expect(message).toContain('4 problems');
    expect(message.indexOf(':2:')).toBeLessThan(message.indexOf(':7:'));
    expect(message).toContain("/etc/backstop.yaml:2: (top level): unknown key 'databse' (did you mean 'database'?)");
    expect(message).toContain(
      '/etc/backstop.yaml:7: apps.shop.environments.live.database: the environment variable SHOP_LIVE_URL is not set',
    );
    expect(message).toContain(
      "/etc/backstop.yaml:8: apps.shop.environments.live: unknown key 'protectd' (did you mean 'protected'?)",
    );
    expect(message).toContain('/etc/backstop.yaml:10: apps.shop.environments.staging.database: write a PostgreSQL URL');
    expect(message).not.toContain('hunter2');
  });

  test.each([
    ['storage: { dir: ./a, s3: { bucket: abc } }', 'choose one: either storage.dir'],
    [
      'apps: { shop: { environments: { live: {} } } }',
      'an environment needs a database: URL, a media: location, or both',
    ],
    ['apps: { Shop!: { environments: { live: { media: /m } } } }', 'use lower-case letters'],
    ['encryption: { recipients: [AGE-SECRET-KEY-1XYZ] }', 'a recipient looks like age1...'],
    ['encryption: { identities: [] }', 'list recipients (age1... from backstop keygen) to encrypt to, or identities'],
    ['apps: [1, 2]', 'apps'],
    ['a: [unclosed', 'not valid YAML'],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { timezone: Mars/Olympus } } } } }',
      'IANA time zone',
    ],
    ['- just\n- a list', 'must be a mapping'],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "every day" } } } } }',
      'write a cron expression of 5 fields',
    ],
    ['apps: { shop: { environments: { live: { media: /m, schedule: { cron: "0 25 * * *" } } } } }', 'cron expression'],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { parts: db+media } } } } }',
      'the schedule backs up db, but this environment has no database',
    ],
    ['workers: { concurrency: 0 }', 'workers.concurrency'],
    ['storage: { s3: { bucket: b } }\ndownloads: { linkTtl: 8d }', 'S3 download links live at most 7 days'],
    ['email: { smtp: { host: mail }, from: nobody }', 'write an address, e.g. backups@example.com'],
    ['people: { "slack:U1": not-an-address }', 'write an email address'],
    [
      'apps: { shop: { environments: { live: { media: /m } }, access: { operater: ["*"] } } }',
      "unknown key 'operater' (did you mean 'operator'?)",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m } }, access: { viewer: [U123] } } }',
      'write a principal: slack:U123',
    ],
    ['apps: { shop: { environments: { live: { media: /m } }, channels: [C123] } }', 'write a channel: slack:C123'],
    ['chat: { discord: { publicKey: xyz, applicationId: "1", botToken: t } }', '64 hex digits'],
    // The shape expected is named, with the kind of value found (never the value: it may be a secret).
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: "0 2 * * *" } } } }',
      'apps.shop.environments.live.schedule: a schedule is { cron, timezone, parts } (each optional, e.g. { cron: "0 2 * * *", timezone: Europe/Zurich, parts: db }) or off (found a string)',
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { parts: all } } } } }',
      'apps.shop.environments.live.schedule.parts: write one of: db, media, db+media (found a string)',
    ],
    ['storage: ./backups', 'storage: write a mapping with keys such as dir, s3 (found a string)'],
    [
      'workers: 3',
      'workers: write a mapping with keys such as concurrency, leaseSeconds, maxAttempts (found a number)',
    ],
    ['encryption: { recipients: age1abc }', 'encryption.recipients: write a list, e.g. [a, b] (found a string)'],
    ['http: { port: true }', 'http.port: write a number (found true)'],
    [
      'apps: { shop: { environments: [live] } }',
      'apps.shop.environments: write a mapping of names to their settings, e.g. { live: { ... } } (found a list)',
    ],
    // YAML syntax errors say where: line and column.
    ['a: [unclosed', '/etc/backstop.yaml:1:13: Flow sequence in block collection'],
    ['apps:\n  shop:\n  - x: 1\n y', '/etc/backstop.yaml:4:1: All mapping items must start at the same column'],
    // A cron error names the field.
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "61 2 * * *" } } } } }',
      "the minute field of the cron expression is '61': a minute is 0-59",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "0 25 * * *" } } } } }',
      "the hour field of the cron expression is '25': an hour is 0-23",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "0 2 32 * *" } } } } }',
      "the day of month field of the cron expression is '32': a day of month is 1-31",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "0 2 * 13 *" } } } } }',
      "the month field of the cron expression is '13': a month is 1-12 or JAN-DEC",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "0 2 * * 9" } } } } }',
      "the day of week field of the cron expression is '9': a day of week is 0-7 or SUN-SAT",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "60 0 2 * * *" } } } } }',
      "the second field of the cron expression is '60': a second is 0-59",
    ],
    [
      'apps: { shop: { environments: { live: { media: /m, schedule: { cron: "0 0 31 2 *" } } } } }',
      "the day of month and month fields of the cron expression never meet ('31 2')",
    ],
  ])('%s is refused', (text, expected) => {
    expect(problemsOf(text)).toContain(expected);
  });

  test.each([
    'apps: { shop: { environments: { live: { media: /m, schedule: "0 2 * * *" } } } }',
    'apps: { shop: { environments: { live: { media: /m, schedule: true } } } }',
    'storage: ./backups',
    'apps: { shop: { environments: { live: "postgres://x" } } }',
    'webhooks: { url: x }',
    'apps: { shop: { environments: { live: { media: /m, protected: yes please } } } }',
    'http: { publicUrl: not-a-url }',
  ])("%s is explained without zod's wording", (text) => {
    const message = problemsOf(text);
    expect(message).not.toMatch(/Invalid input|Invalid option|is required/);
    expect(message).toMatch(/: write |: a schedule is /);
  });

  test.each([
    ['apps: { shop: { environments: { live: { database: "${DB}" } } } }', 'DB'],
    ['apps: { shop: { environments: { live: { media: "${MEDIA}" } } } }', 'MEDIA'],
    ['apps: { shop: { environments: { live: { media: /m, schedule: { cron: "${CRON}" } } } } }', 'CRON'],
    ['storage: { s3: { bucket: "${BUCKET}" } }', 'BUCKET'],
    ['encryption: { recipients: ["${RECIPIENT}"] }', 'RECIPIENT'],
    ['webhooks: [{ name: x, url: "${HOOK}", format: slack }]', 'HOOK'],
    ['chat: { slack: { signingSecret: "${SLACK_SECRET}", botToken: xoxb-1 } }', 'SLACK_SECRET'],
    ['downloads: { linkSecret: "${LINK_SECRET}" }\nstorage: { s3: { bucket: "b-${B:-x}" } }', 'LINK_SECRET'],
  ])('one missing variable in %s is one problem, not a cascade', (text, variable) => {
    const message = problemsOf(text);
    expect(message).toMatch(/^The configuration has a problem:\n {2}[^\n]+$/);
    expect(message).toContain(`the environment variable ${variable} is not set`);
  });
});

describe('schedules', () => {
  test('every environment is backed up daily at 02:00 UTC unless told otherwise, of the parts it has', () => {
    const config = parseConfig(
      `apps:
  shop:
    environments:
      live: { database: postgres://db/live, media: /m }
      files: { media: /f }
      zurich: { media: /z, schedule: { cron: "*/5 * * * * *", timezone: Europe/Zurich } }
      test: { media: /t, schedule: off }
`,
      '/etc/backstop.yaml',
      options,
    );
    expect(config.targets.map((t) => [t.env, t.schedule])).toEqual([
      ['live', { cron: '0 2 * * *', timezone: 'UTC', parts: 'db+media' }],
      ['files', { cron: '0 2 * * *', timezone: 'UTC', parts: 'media' }],
      ['zurich', { cron: '*/5 * * * * *', timezone: 'Europe/Zurich', parts: 'media' }],
      ['test', 'off'],
    ]);
  });
});

describe('downloads and email', () => {
  test('link lifetime, SMTP settings and the people map are read with their defaults', () => {
    const config = parseConfig(
      `downloads: { linkTtl: 2h }
email: { smtp: { host: smtp.example.com }, from: backups@example.com }
people: { "slack:U1": ana@example.com }
`,
      '/etc/backstop.yaml',
      options,
    );
    expect(config.downloads).toEqual({ linkTtlSeconds: 7200 });
    expect(config.email).toEqual({
      smtp: { host: 'smtp.example.com', port: 587, secure: false, ignoreTLS: false },
      from: 'backups@example.com',
    });
    expect(config.people).toEqual({ 'slack:U1': 'ana@example.com' });
    expect(parseConfig('{}', '/etc/backstop.yaml', options)).toMatchObject({
      downloads: { linkTtlSeconds: 86400 },
      email: undefined,
      people: {},
    });
  });
});

describe('http.drain', () => {
  test('how serve stops its HTTP side: a delay only in a Kubernetes pod, 10 s for requests under way', () => {
    expect(parseConfig('{}', '/etc/backstop.yaml', options).httpDrain).toEqual({
      delaySeconds: 0,
      deadlineSeconds: 10,
    });
    const inPod = { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, cwd: '/srv' };
    expect(parseConfig('{}', '/etc/backstop.yaml', inPod).httpDrain).toEqual({ delaySeconds: 5, deadlineSeconds: 10 });
    const given = 'http:\n  drain: { delay: 0s, deadline: 1m }\n';
    expect(parseConfig(given, '/etc/backstop.yaml', inPod).httpDrain).toEqual({ delaySeconds: 0, deadlineSeconds: 60 });
  });

  test('a wait that is not a duration is named with its line, its path and what to write', () => {
    const message = problemsOf(`http:
  port: 8080
  drain:
    delay: 5
    deadline: 10 seconds
    grace: 30s
`);
    expect(message).toContain('3 problems');
    expect(message).toContain(
      '/etc/backstop.yaml:4: http.drain.delay: write a duration such as 10s or 1m (found a number without its unit)',
    );
    expect(message).toContain('/etc/backstop.yaml:5: http.drain.deadline: write a duration such as 10s or 1m');
    expect(message).toContain(
      "/etc/backstop.yaml:6: http.drain: unknown key 'grace'; known keys here: delay, deadline",
    );
  });
});
