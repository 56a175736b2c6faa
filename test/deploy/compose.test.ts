import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.ts';

// compose.yaml cannot be run here (no container runtime): it is validated against the Compose Specification's schema
// (test/deploy/README.md says where the schema comes from), and what it wires together is checked against the repo
// and against Backstop's own config loader.
const repo = join(import.meta.dirname, '..', '..');
// The schema names its draft as https://json-schema.org/draft-07/schema, which Ajv knows without the https: it is
// draft-07, Ajv's own default.
const { $schema: _draft, ...schema } = JSON.parse(readFileSync(join(import.meta.dirname, 'compose-spec.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: string[];
  restart?: string;
  stop_grace_period?: string;
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

/** The file as Compose reads it: YAML merge keys (`<<: *backstop`) applied. */
function readCompose(text = readFileSync(join(repo, 'compose.yaml'), 'utf8')): Compose {
  return parse(text, { merge: true }) as Compose;
}

/** Compose's interpolation of `${VAR:-default}` with nothing set: every variable takes its default. */
function withDefaults(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_all, name: string, fallback?: string) => {
    if (fallback === undefined) throw new Error(`compose.yaml: \${${name}} has no default`);
    return fallback;
  });
}

describe('compose.yaml', () => {
  const compose = readCompose();
  const { services } = compose;

  test('is valid against the Compose Specification schema', () => {
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('the schema check catches what Compose would refuse', () => {
    const broken = readCompose();
    broken.services['worker']!.depends_on!['state'] = { condition: 'service_ready' };
    (broken.services['serve'] as Record<string, unknown>)['heathcheck'] = { test: ['CMD', 'true'] };
    expect(validate(broken)).toBe(false);
    const messages = (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    expect(messages).toContain(
      '/services/worker/depends_on/state/condition must be equal to one of the allowed values',
    );
    expect(messages).toContain('/services/serve must NOT have additional properties');
  });

  test('runs the whole system: state, storage and its bucket, keys, one serve, two workers, a demo application', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['keys', 'serve', 'shop-db', 'shop-media', 'state', 'storage', 'storage-bucket', 'worker'].sort(),
    );
    expect(services['serve']!.command).toEqual(['serve']);
    expect(services['serve']!.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(services['worker']!.command).toEqual(['worker']);
    expect(services['worker']!.deploy?.replicas).toBe(2);
    expect(services['worker']!.healthcheck).toEqual({ disable: true }); // no HTTP port in a worker
    for (const oneShot of ['keys', 'storage-bucket', 'shop-media']) expect(services[oneShot]!.restart).toBe('no');
    // Every Backstop process is the image this repository builds, and waits for what it needs.
    for (const name of ['serve', 'worker', 'keys', 'shop-media']) {
      expect(services[name]!.image).toBe('backstop:local');
      expect(services[name]!.build).toBe('.');
    }
    for (const name of ['serve', 'worker']) {
      expect(services[name]!.depends_on).toEqual({
        state: { condition: 'service_healthy' },
        'shop-db': { condition: 'service_healthy' },
        'storage-bucket': { condition: 'service_completed_successfully' },
        keys: { condition: 'service_completed_successfully' },
        'shop-media': { condition: 'service_completed_successfully' },
      });
      expect(services[name]!.volumes).toContain('keys:/keys:ro'); // only the keys step writes keys
    }
    expect(services['keys']!.volumes).toEqual(['keys:/keys']);
  });

  test('names only services, volumes and files that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const needed of Object.keys(service.depends_on ?? {}))
        expect(services, `${name} needs ${needed}`).toHaveProperty([needed]);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(join(repo, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty([source]);
      }
    }
    expect(existsSync(join(repo, 'Dockerfile'))).toBe(true);
  });

  test("Backstop's config in it loads as serve and the workers would load it", () => {
    const serve = services['serve']!;
    const env = Object.fromEntries(
      Object.entries(serve.environment!).map(([key, value]) => [key, withDefaults(value)]),
    );
    const mount = serve.volumes!.find((volume) => volume.includes(':/etc/backstop/backstop.yaml'))!;
    expect(env['BACKSTOP_CONFIG']).toBe('/etc/backstop/backstop.yaml');
    const config = loadConfig({ env, cwd: repo, explicitPath: join(repo, mount.split(':')[0]!) });
    expect(config.stateDatabaseUrl).toBe('postgres://backstop:backstop-demo@state:5432/backstop');
    expect(config.storage).toMatchObject({
      type: 's3',
      bucket: 'backstop',
      endpoint: 'http://storage:9000',
      forcePathStyle: true,
      storageClass: 'STANDARD',
    });
    // The key the keys step makes is where the config reads it; parts are encrypted to its own public key.
    expect(config.encryption).toMatchObject({ identityFiles: ['/keys/backstop.key'], recipientsFromIdentities: true });
    expect(services['keys']!.command).toEqual(['test -f /keys/backstop.key || backstop keygen -o /keys/backstop.key']);
    expect(config.raw.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.targets.map((target) => `${target.app}/${target.env}`)).toEqual(['shop/demo']);
    const [target] = config.targets;
    expect(target).toMatchObject({
      database: 'postgres://shop:shop-demo@shop-db:5432/shop',
      media: { type: 'dir', path: '/srv/app/media' },
    });
    // The media directory lives inside the volume (a restore swaps it through a sibling), made by shop-media.
    expect(serve.volumes).toContain('shop-uploads:/srv/app');
    expect(services['shop-media']!.command!.join(' ')).toContain('/srv/app/media');
    // Compose kills a container 10 s after SIGTERM unless told otherwise: serve's stop (no delay outside Kubernetes,
    // the drain's deadline, then handing work back and the last chat updates, 15 s at most) needs longer.
    expect(config.httpDrain).toEqual({ delaySeconds: 0, deadlineSeconds: 10 });
    const grace = /^(\d+)s$/.exec(serve.stop_grace_period ?? '10s')![1];
    expect(Number(grace)).toBeGreaterThanOrEqual(config.httpDrain.delaySeconds + config.httpDrain.deadlineSeconds + 15);
  });
});
