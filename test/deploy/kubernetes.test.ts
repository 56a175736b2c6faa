import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.ts';

// No cluster here: every manifest of the base is validated against the Kubernetes API schemas (kubernetes-models),
// and what the objects promise each other (selectors, ports, the Secret, probes, security) is checked below.
const repo = join(import.meta.dirname, '..', '..');
const base = join(repo, 'deploy', 'kubernetes', 'base');

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Validates `manifest` against its kind's schema; throws naming the field at fault. */
function validateManifest(manifest: Manifest): void {
  const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
  if (Model === undefined) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

const kustomization = parse(readFileSync(join(base, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(base, file), 'utf8')).map((document) => document.toJS() as Manifest),
);
/** A manifest by kind and name, to read field by field as the YAML gives it (the schemas checked its types). */
const byName = (kind: string, name: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: read field by field below; the schemas above checked the types
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name) as Record<string, any>;

describe('deploy/kubernetes/base', () => {
  test('lists every manifest of the folder, and each is valid against the Kubernetes schemas', () => {
    const files = readdirSync(base).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort()).toEqual([
      'Deployment/backstop-serve',
      'Deployment/backstop-worker',
      'PodDisruptionBudget/backstop-serve',
      'PodDisruptionBudget/backstop-worker',
      'Service/backstop',
    ]);
    for (const manifest of manifests) expect(() => validateManifest(manifest), manifest.metadata.name).not.toThrow();
  });

  test('the schema check catches a manifest the API server would refuse', () => {
    const broken = structuredClone(byName('Deployment', 'backstop-serve'));
    broken['spec'].replicas = 'two';
    expect(() => validateManifest(broken as Manifest)).toThrow('data/spec/replicas must be integer');
    const worker = structuredClone(byName('Deployment', 'backstop-worker'));
    const [container] = worker['spec'].template.spec.containers;
    delete container.name;
    container.resources.limits.memory = '768 MB';
    expect(() => validateManifest(worker as Manifest)).toThrow(
      /containers\/0 must have required property name.*limits\/memory must match format "quantity"/,
    );
    // Unknown fields (a misspelt key) pass these schemas, as Kubernetes' own OpenAPI schemas allow them: the tests
    // below hold each field that matters to its exact value instead.
  });

  test('serve: two replicas, ready on /readyz, alive on /healthz, behind the Service and a disruption budget', () => {
    const serve = byName('Deployment', 'backstop-serve');
    expect(serve['spec'].replicas).toBe(2);
    const [container] = serve['spec'].template.spec.containers;
    expect(container.args).toEqual(['serve']);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    const labels = serve['spec'].template.metadata.labels;
    expect(serve['spec'].selector.matchLabels).toEqual(labels);
    expect(byName('Service', 'backstop')['spec'].selector).toEqual(labels);
    expect(byName('Service', 'backstop')['spec'].ports[0].targetPort).toBe('http');
    expect(byName('PodDisruptionBudget', 'backstop-serve')['spec']).toEqual({
      minAvailable: 1,
      selector: { matchLabels: labels },
    });
  });

  test('worker: scalable, no HTTP, its own disruption budget', () => {
    const worker = byName('Deployment', 'backstop-worker');
    const [container] = worker['spec'].template.spec.containers;
    expect(container.args).toEqual(['worker']);
    expect(container.ports).toBeUndefined();
    expect(byName('PodDisruptionBudget', 'backstop-worker')['spec']).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: worker['spec'].template.metadata.labels },
    });
  });

  test.each(['backstop-serve', 'backstop-worker'])(
    '%s: not root, read-only root filesystem with scratch volumes, config from the Secret, requests and limits',
    (name) => {
      const pod = byName('Deployment', name)['spec'].template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      const [container] = pod.containers;
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      const mounts = Object.fromEntries(
        container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]),
      );
      expect(mounts).toEqual({ '/etc/backstop': 'config', '/var/lib/backstop': 'data', '/tmp': 'tmp' });
      const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
      expect(volumes['config'].secret.secretName).toBe('backstop');
      expect(volumes['data'].emptyDir).toBeDefined();
      expect(volumes['tmp'].emptyDir).toBeDefined();
      expect(container.env).toContainEqual({ name: 'BACKSTOP_CONFIG', value: '/etc/backstop/backstop.yaml' });
      expect(container.resources.requests).toHaveProperty('memory');
      expect(container.resources.requests).toHaveProperty('cpu');
      expect(container.resources.limits).toHaveProperty('memory');
    },
  );

  test("the README's Secret gives every variable the example config needs", () => {
    const config = readFileSync(join(repo, 'deploy', 'kubernetes', 'backstop.yaml'), 'utf8').replace(/^\s*#.*$/gm, '');
    const needed = [...config.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((match) => match[1]);
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const command = readme.slice(readme.indexOf('kubectl create secret generic backstop-env'));
    const given = [...command.slice(0, command.indexOf('kubectl apply')).matchAll(/--from-literal=([A-Z0-9_]+)=/g)];
    expect(needed.length).toBeGreaterThan(0);
    expect(given.map((match) => match[1]).sort()).toEqual([...new Set(needed)].sort());
  });

  test("serve's grace period covers its drain with the example config in a pod, and the rest of its stop", () => {
    const env = {
      DATABASE_URL: 'postgres://backstop@state/backstop',
      BACKUP_BUCKET: 'backups',
      BACKSTOP_PUBLIC_URL: 'https://backstop.example.com',
      SHOP_LIVE_DATABASE_URL: 'postgres://shop@db/shop',
      // Set by Kubernetes in every container.
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
    };
    const config = loadConfig({ env, cwd: repo, explicitPath: join(repo, 'deploy', 'kubernetes', 'backstop.yaml') });
    const { delaySeconds, deadlineSeconds } = config.httpDrain;
    expect([delaySeconds, deadlineSeconds]).toEqual([5, 10]);
    // After the drain: running operations handed back (under a second in the fleet tests) and the last chat
    // updates (Discord waits at most 10 s for commands still running).
    const restOfStopSeconds = 15;
    const grace = byName('Deployment', 'backstop-serve')['spec'].template.spec.terminationGracePeriodSeconds;
    expect(grace).toBeGreaterThanOrEqual(delaySeconds + deadlineSeconds + restOfStopSeconds);
    // Within Kubernetes' own default (30 s) too, for an overlay that drops the setting.
    expect(delaySeconds + deadlineSeconds + restOfStopSeconds).toBeLessThanOrEqual(30);
  });

  test('the example config loads, with the identity where the Secret is mounted', () => {
    const env = {
      DATABASE_URL: 'postgres://backstop@state/backstop',
      BACKUP_BUCKET: 'backups',
      BACKSTOP_PUBLIC_URL: 'https://backstop.example.com',
      SHOP_LIVE_DATABASE_URL: 'postgres://shop@db/shop',
    };
    const config = loadConfig({ env, cwd: repo, explicitPath: join(repo, 'deploy', 'kubernetes', 'backstop.yaml') });
    expect(config.encryption.identityFiles).toEqual(['/etc/backstop/backstop.key']);
    expect(config.dataDir).toBe('/var/lib/backstop');
    expect(config.storage).toMatchObject({ type: 's3', bucket: 'backups' });
    expect(config.raw.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
  });
});
