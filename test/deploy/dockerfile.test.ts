import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

// There is no container runtime here: the image's steps are checked to be the tested production path (the packed
// package installed by scripts/install-production.sh, which test/package/production-install.test.ts runs), and the
// rest of what the image promises is read from the Dockerfile.
const repo = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');

/** The Dockerfile's instructions, continuation lines joined, comments dropped, grouped by stage (`FROM ... AS name`). */
function stages(text: string): Map<string, string[]> {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const byStage = new Map<string, string[]>();
  let current = '';
  for (const instruction of instructions) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(instruction);
    if (from) current = from[1]!;
    if (current !== '') byStage.set(current, [...(byStage.get(current) ?? []), instruction]);
  }
  return byStage;
}

describe('Dockerfile', () => {
  const byStage = stages(dockerfile);
  const runtime = byStage.get('runtime') ?? [];

  test('builds in one stage and runs from another', () => {
    expect([...byStage.keys()]).toEqual(['build', 'runtime']);
    expect(byStage.get('build')!.join('\n')).toMatch(/npm run build && .*npm pack --ignore-scripts/);
  });

  test('installs the packed package the way the production-install test does, and nothing else from npm', () => {
    const runs = runtime.filter((line) => line.startsWith('RUN'));
    const install = runs.find((line) => line.includes('backstop-install.sh'));
    expect(install).toContain(
      'sh /usr/local/lib/backstop-install.sh /pkg/backstop-*.tgz /opt/backstop /pkg/package-lock.json',
    );
    expect(runtime).toContain('COPY scripts/install-production.sh /usr/local/lib/backstop-install.sh');
    expect(runs.filter((line) => /\bnpm\b/.test(line))).toEqual([]);
    const test = readFileSync(join(repo, 'test', 'package', 'production-install.test.ts'), 'utf8');
    expect(test).toContain("'scripts/install-production.sh'");
    // The script installs production dependencies only, at the locked versions, running no package scripts.
    const script = readFileSync(join(repo, 'scripts', 'install-production.sh'), 'utf8');
    expect(script).toContain('npm ci --omit=dev --ignore-scripts');
  });

  test('has the PostgreSQL client tools for servers 13 to 17 from PostgreSQL’s apt repository', () => {
    const majors = runtime.find((line) => line.startsWith('ARG PG_MAJORS='))!;
    for (const major of [13, 14, 15, 16, 17]) expect(majors).toContain(` ${major}`.trimStart());
    const apt = runtime.find((line) => line.includes('postgresql-client-$major'))!;
    expect(apt).toContain('https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main');
    expect(apt).toContain('signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc');
    expect(apt).toContain('rm -rf /var/lib/apt/lists/*');
  });

  test('runs as a user that is not root, with a health check, serve by default', () => {
    const user = runtime.map((line) => line.startsWith('USER ')).lastIndexOf(true);
    expect(runtime[user]).toBe('USER node');
    expect(runtime.findIndex((line) => line.startsWith('ENTRYPOINT'))).toBeGreaterThan(user);
    expect(runtime.some((line) => line.startsWith('RUN') && runtime.indexOf(line) > user)).toBe(false);
    const health = runtime.find((line) => line.startsWith('HEALTHCHECK'))!;
    expect(health).toContain('fetch(process.env.BACKSTOP_HEALTH_URL');
    expect(health).toContain('AbortSignal.timeout(4000)');
    expect(runtime).toContain('ENTRYPOINT ["backstop"]');
    expect(runtime).toContain('CMD ["serve"]');
  });

  test('keeps local state, keys and dependencies out of the build context', () => {
    const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', '.backstop', '*.key', 'dist', '.node']) expect(ignored).toContain(entry);
  });
});
