import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { configJsonSchema } from '../../src/config/config-json-schema.ts';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';
import { REDACTED, redactConfig, SECRET_KEYS } from '../../src/config/redact-config.ts';
import { resolvedConfig } from '../../src/config/resolved-config.ts';
import { DEFAULT_PG_COMPRESSION } from '../../src/domain/pg-compression.ts';
import { type Target, targetName } from '../../src/domain/target.ts';
import { runBackstop } from '../support/cli.ts';

const cwd = mkdtempSync(join(tmpdir(), 'backstop-config-check-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Every secret the file below holds, each distinct, so that any of them showing up is seen. */
const secrets = {
  S3_SECRET: 's3-secret-value-1',
  S3_SESSION: 's3-session-token-2',
  MEDIA_SECRET: 'media-secret-value-3',
  DB_PASSWORD: 'db-password-4',
  STATE_PASSWORD: 'state-password-5',
  SMTP_PASSWORD: 'smtp-password-6',
  SLACK_SIGNING: 'slack-signing-secret-7',
  SLACK_TOKEN: 'xoxb-slack-token-8',
  DISCORD_TOKEN: 'discord-token-9',
  OIDC_SECRET: 'oidc-client-secret-10',
  LINK_SECRET: 'link-secret-0123456789abcdef0123456789ab',
  WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  WEBHOOK_PATH: 'T0001/B0002/webhook-path-secret-11',
};
const env = { ...secrets, BUCKET: 'fleet-backups' };

const fullConfig = `
database: postgres://backstop:\${STATE_PASSWORD}@state:5432/backstop
storage:
  s3:
    bucket: \${BUCKET}
    accessKeyId: AKIAEXAMPLE
    secretAccessKey: "\${S3_SECRET}"
    sessionToken: "\${S3_SESSION}"
encryption:
  recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
apps:
  shop:
    environments:
      live:
        database: postgres://shop:\${DB_PASSWORD}@db:5432/shop?sslmode=require
        media: s3://shop-media/live/
        mediaS3: { region: eu-central-1, accessKeyId: AKIAMEDIA, secretAccessKey: "\${MEDIA_SECRET}" }
        protected: true
      staging:
        database: postgres://shop@db:5432/shop_staging?password=\${DB_PASSWORD}
        schedule: off
downloads: { linkTtl: 2d, linkSecret: "\${LINK_SECRET}" }
http: { publicUrl: https://backstop.example.com }
email:
  smtp: { host: smtp.example.com, user: backstop, password: "\${SMTP_PASSWORD}" }
  from: backups@example.com
chat:
  slack: { signingSecret: "\${SLACK_SIGNING}", botToken: "\${SLACK_TOKEN}" }
  discord:
    publicKey: ${'a'.repeat(64)}
    applicationId: "123456789012345678"
    botToken: "\${DISCORD_TOKEN}"
web:
  oidc: { issuer: https://slack.com, clientId: "123.456", clientSecret: "\${OIDC_SECRET}" }
webhooks:
  - { name: ops, url: "https://hooks.slack.com/services/\${WEBHOOK_PATH}", format: slack }
  - { name: pager, url: https://hooks.example.com/backstop, format: generic, secret: "\${WEBHOOK_SECRET}" }
`;

function writeConfig(name: string, text: string): string {
  const path = join(cwd, name);
  writeFileSync(path, text);
  return path;
}

function expectNoSecret(text: string): void {
  for (const [name, value] of Object.entries(secrets)) expect(text, name).not.toContain(value);
}

describe('backstop config check', () => {
  test('prints a valid file resolved, as YAML, with every secret redacted; exit 0', async () => {
    const file = writeConfig('full.yaml', fullConfig);
    const run = await runBackstop(['config', 'check', '--config', file], { cwd, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`# ${file} is valid (2 targets: shop/live, shop/staging).`);
    expectNoSecret(run.stdout);
    const shown = parse(run.stdout);
    // Interpolated, defaults filled in, the rest of each URL kept.
    expect(shown.storage.s3).toMatchObject({
      bucket: 'fleet-backups',
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: REDACTED,
      sessionToken: REDACTED,
      region: 'us-east-1',
      storageClass: 'STANDARD_IA',
    });
    expect(shown.database).toBe(`postgres://backstop:${REDACTED}@state:5432/backstop`);
    const live = shown.apps.shop.environments.live;
    expect(live.database).toBe(`postgres://shop:${REDACTED}@db:5432/shop?sslmode=require`);
    expect(live.mediaS3).toMatchObject({ accessKeyId: 'AKIAMEDIA', secretAccessKey: REDACTED });
    expect(live).toMatchObject({
      protected: true,
      schedule: { cron: '0 2 * * *', timezone: 'UTC', parts: 'db+media' },
      retention: { onDemand: { keepLast: 3, maxAgeDays: 30 }, scheduled: { daily: 7, weekly: 4, monthly: 12 } },
      compression: 'gzip:1',
    });
    const staging = shown.apps.shop.environments.staging;
    expect(staging).toMatchObject({ schedule: 'off', protected: false });
    expect(staging.database).toBe(`postgres://shop@db:5432/shop_staging?password=${REDACTED}`);
    expect(shown.downloads).toEqual({ linkTtl: '2d', linkSecret: REDACTED });
    expect(shown.email.smtp).toMatchObject({ user: 'backstop', password: REDACTED, port: 587 });
    expect(shown.chat.slack).toEqual({ signingSecret: REDACTED, botToken: REDACTED });
    expect(shown.chat.discord).toMatchObject({ publicKey: 'a'.repeat(64), botToken: REDACTED });
    expect(shown.chat.approvalTtl).toBe('30m');
    expect(shown.web.oidc).toMatchObject({ clientId: '123.456', clientSecret: REDACTED });
    expect(shown.webhooks[0]).toMatchObject({ url: `https://hooks.slack.com/${REDACTED}`, success: 'each' });
    expect(shown.webhooks[1]).toMatchObject({ url: `https://hooks.example.com/${REDACTED}`, secret: REDACTED });
    expect(shown.http).toMatchObject({ port: 8080, host: '127.0.0.1', drain: { delay: '0s', deadline: '10s' } });
    expect(shown.workers).toEqual({ concurrency: 2, leaseSeconds: 30, maxAttempts: 3 });
  });

  test('--json prints { valid, file, targets, config }, redacted', async () => {
    const file = writeConfig('full.yaml', fullConfig);
    const run = await runBackstop(['config', 'check', '--json'], { cwd, env: { ...env, BACKSTOP_CONFIG: file } });
    expect(run.code).toBe(0);
    expectNoSecret(run.stdout);
    expect(run.json()).toMatchObject({
      valid: true,
      file,
      targets: ['shop/live', 'shop/staging'],
      config: { chat: { slack: { botToken: REDACTED } } },
    });
  });

  test('an invalid file gets the errors start-up gives (line, path, fix); exit 2', async () => {
    const file = writeConfig(
      'bad.yaml',
      `apps:\n  shop:\n    environments:\n      live:\n        database: \${SHOP_DB}\n        protectd: true\n` +
        'downloads: { linkTtl: 24 hours }\n',
    );
    const check = await runBackstop(['config', 'check', '--config', file], { cwd, env: {} });
    expect(check.code).toBe(2);
    expect(check.stdout).toBe('');
    expect(check.stderr).toContain('The configuration has 3 problems:');
    expect(check.stderr).toContain(`${file}:5: apps.shop.environments.live.database: the environment variable SHOP_DB`);
    expect(check.stderr).toContain(
      `${file}:6: apps.shop.environments.live: unknown key 'protectd' (did you mean 'protected'?)`,
    );
    expect(check.stderr).toContain(`${file}:7: downloads.linkTtl: write a duration such as 30m, 24h or 7d`);
    // The very words `backstop serve` refuses the file with.
    const serve = await runBackstop(['serve', '--config', file], { cwd, env: {} });
    expect(serve.code).toBe(2);
    expect(check.stderr).toBe(serve.stderr);

    const json = await runBackstop(['config', 'check', '--config', file, '--json'], { cwd, env: {} });
    expect(json.code).toBe(2);
    const { error } = json.json();
    expect(error.code).toBe('config-invalid');
    expect(error.problems).toHaveLength(3);
    expect(error.problems[1]).toMatch(/^.*bad\.yaml:6: apps\.shop\.environments\.live: unknown key 'protectd'/);
  });

  test('an identity file that cannot be read is a problem of the config, as at start-up', async () => {
    const file = writeConfig('keys.yaml', 'encryption: { identities: [./keys/missing.key] }\n');
    const run = await runBackstop(['config', 'check', '--config', file, '--json'], { cwd, env: {} });
    expect(run.code).toBe(2);
    expect(run.json().error.problems).toEqual([
      `${file}: encryption.identities: the identity file ${join(cwd, 'keys', 'missing.key')} does not exist: check the path (backstop keygen makes one)`,
    ]);
  });

  test('no file to check, a missing file, a mistyped subcommand: exit 2 with what to do', async () => {
    const none = await runBackstop(['config', 'check'], { cwd: mkdtempSync(join(cwd, 'empty-')), env: {} });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/there is no config file to check: .*backstop\.yaml does not exist; name one with/);
    const missing = await runBackstop(['config', 'check', '--config', 'nope.yaml'], { cwd, env: {} });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config names');
    const typo = await runBackstop(['config', 'chek'], { cwd, env: {} });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown subcommand 'chek': did you mean 'check'?");
    expect(typo.stderr).toContain('Usage: backstop config check [--config <file>]');
  });

  test('config schema prints the JSON Schema the package ships', async () => {
    const run = await runBackstop(['config', 'schema'], { cwd, env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'backstop.schema.json'), 'utf8'),
    );
  });
});

test('the resolved config is valid config again, and resolves to itself', () => {
  const file = writeConfig('round-trip.yaml', fullConfig);
  const config = loadConfig({ explicitPath: file, env, cwd });
  const resolved = resolvedConfig(config);
  const again = parseConfig(stringify(resolved), file, { env: {}, cwd });
  expect(again.targets.map(targetName)).toEqual(config.targets.map(targetName));
  // The default compression is written out; everything else is the same.
  const withCompression = (targets: Target[]) =>
    targets.map((target) => ({ ...target, compression: target.compression ?? DEFAULT_PG_COMPRESSION }));
  expect(again.targets).toEqual(withCompression(config.targets));
  expect(resolvedConfig(again)).toEqual(resolved);
});

test('every key of the config that names a secret is redacted', () => {
  const keys = new Set<string>();
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (node !== null && typeof node === 'object') {
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      if (properties !== undefined) for (const key of Object.keys(properties)) keys.add(key);
      Object.values(node).forEach(collect);
    }
  };
  collect(configJsonSchema());
  expect(keys.size).toBeGreaterThan(80);
  const secretLooking = [...keys].filter((key) => /secret|token|password|passphrase|credential|private/i.test(key));
  expect(secretLooking.length).toBeGreaterThanOrEqual(6);
  for (const key of secretLooking) expect(SECRET_KEYS, key).toContain(key);
  for (const key of SECRET_KEYS) expect(keys, key).toContain(key);
  expect(redactConfig({ people: { 'slack:U1': 'ana@example.com' }, a: [{ password: 'x' }] })).toEqual({
    people: { 'slack:U1': 'ana@example.com' },
    a: [{ password: REDACTED }],
  });
});
