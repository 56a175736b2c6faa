import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { configJsonSchema, configJsonSchemaText } from '../../src/config/config-json-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';

const repo = join(import.meta.dirname, '..', '..');
const schemaFile = join(repo, 'schema', 'backstop.schema.json');

/** A real JSON Schema validator, strict: a keyword it does not know is an error in the schema, not ignored. */
function validatorOf(schema: object) {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat('uri', (text: string) => URL.canParse(text));
  return ajv.compile(schema);
}

const validate = validatorOf(JSON.parse(readFileSync(schemaFile, 'utf8')));

/** The schema with every `required` taken out: for a README excerpt that shows a few keys of a section. */
function withoutRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'required')
      .map(([key, value]) => [key, withoutRequired(value)]),
  );
}
const validateExcerpt = validatorOf(withoutRequired(configJsonSchema()) as object);

/** The value at an Ajv instance path (/apps/shop/environments/live/database). */
function valueAt(data: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/')], data);
}

/** Errors, less those about a placeholder a reader fills in (`publicKey: ...`, `recipients: [age1...]`). */
function realErrors(errors: ErrorObject[] | null | undefined, data: unknown): string[] {
  return (errors ?? [])
    .filter((error) => {
      const value = valueAt(data, error.instancePath);
      return !(typeof value === 'string' && value.includes('...'));
    })
    .map((error) => `${error.instancePath || '(top)'} ${error.message}`);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every ```yaml block of a Markdown file, with the line it starts on. */
function yamlBlocks(file: string): { line: number; text: string }[] {
  const lines = readFileSync(join(repo, file), 'utf8').split('\n');
  const blocks: { line: number; text: string }[] = [];
  let start: number | undefined;
  for (const [index, line] of lines.entries()) {
    if (start === undefined && /^\s*```yaml\s*$/.test(line)) start = index + 1;
    else if (start !== undefined && /^\s*```\s*$/.test(line)) {
      blocks.push({ line: start + 1, text: lines.slice(start, index).join('\n') });
      start = undefined;
    }
  }
  return blocks;
}

test('the schema file in the checkout is the one the code generates (npm run build writes it)', () => {
  expect(readFileSync(schemaFile, 'utf8')).toBe(configJsonSchemaText());
});

test('every setting is described by a type: none is left as "anything" (a transform without writtenAs)', () => {
  const vague: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const properties = (node as { properties?: Record<string, unknown> }).properties ?? {};
    for (const [key, child] of Object.entries(properties)) {
      const { description: _description, default: _default, ...shape } = child as Record<string, unknown>;
      if (Object.keys(shape).length === 0) vague.push(`${path}${key}`);
    }
    for (const [key, child] of Object.entries(node)) if (key !== 'default') walk(child, `${path}${key}/`);
  };
  walk(configJsonSchema(), '');
  expect(vague).toEqual([]);
});

test('the package ships the schema', () => {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    files: string[];
    scripts: Record<string, string>;
  };
  expect(manifest.files).toContain('schema/');
  expect(manifest.scripts['build']).toContain('scripts/write-config-schema.mjs');
});

describe('every example config validates against the schema', () => {
  const files = ['examples/backstop.yaml', 'deploy/compose/backstop.yaml', 'deploy/kubernetes/backstop.yaml'];
  test.each(files)('%s', (file) => {
    const data = parse(readFileSync(join(repo, file), 'utf8'));
    const valid = validate(data);
    expect(realErrors(validate.errors, data)).toEqual([]);
    expect(valid).toBe(true);
  });

  const known = Object.keys((configJsonSchema()['properties'] as object) ?? {});
  const readmes = ['README.md', 'adapters/slack/README.md', 'adapters/discord/README.md'];
  const blocks = readmes.flatMap((file) => yamlBlocks(file).map((block) => ({ ...block, file })));

  test('README excerpts: valid YAML, every key they write known and every value well-formed', () => {
    const excerpts = blocks
      .map((block) => {
        const document = parseDocument(block.text);
        expect(
          document.errors.map((e) => e.message),
          `${block.file}:${block.line}`,
        ).toEqual([]);
        return { ...block, data: document.toJS() as unknown };
      })
      // A config excerpt is made of config keys only; the others are Kubernetes, Slack manifests and such.
      .filter(({ data }) => isMapping(data) && Object.keys(data).every((key) => known.includes(key)));
    expect(excerpts.length).toBeGreaterThanOrEqual(12);
    for (const excerpt of excerpts) {
      validateExcerpt(excerpt.data);
      expect(realErrors(validateExcerpt.errors, excerpt.data), `${excerpt.file}:${excerpt.line}`).toEqual([]);
    }
  });
});

describe('the schema accepts what Backstop accepts, and refuses what it refuses', () => {
  const env = { PORT: '9090', PROTECTED: 'true', SHOP_DB: 'postgres://shop@db/shop', TTL: '2h' };
  const site = (environment: string) => `apps:\n  shop:\n    environments:\n      live: ${environment}\n`;
  const cases: Array<[string, string, boolean]> = [
    ['a minimal config', site('{ database: postgres://shop@db/shop }'), true],
    ['a variable for a URL', site(`{ database: "\${SHOP_DB}" }`), true],
    ['a variable for a number', `http: { port: "\${PORT}" }\n`, true],
    ['a variable for a yes/no', site(`{ database: "\${SHOP_DB}", protected: "\${PROTECTED}" }`), true],
    ['a variable for a duration', `downloads: { linkTtl: "\${TTL}" }\n`, true],
    ['a number written as text', 'http: { port: "8080" }\n', true],
    ['compression levels and methods', site(`{ database: "\${SHOP_DB}", compression: zstd:3 }`), true],
    ['a gzip level as a number', site(`{ database: "\${SHOP_DB}", compression: 5 }`), true],
    ['schedule off', site(`{ database: "\${SHOP_DB}", schedule: off }`), true],
    ['a drain with units', 'http: { drain: { delay: 5s, deadline: 1m } }\n', true],
    ['a misspelt key', site(`{ database: "\${SHOP_DB}", protectd: true }`), false],
    ['an unknown section', 'storag: { dir: ./b }\n', false],
    ['a duration without its unit', 'downloads: { linkTtl: 24 }\n', false],
    ['a duration in words', 'downloads: { linkTtl: 24 hours }\n', false],
    ['a drain without its unit', 'http: { drain: { delay: 5 } }\n', false],
    ['compression with a space', site(`{ database: "\${SHOP_DB}", compression: gzip 5 }`), false],
    ['a port out of range', 'http: { port: 70000 }\n', false],
    ['a database that is no URL', site('{ database: shop }'), false],
    ['a storage class that does not exist', 'storage: { s3: { bucket: backups, storageClass: COLD } }\n', false],
    ['an environment name with capitals', site(`{ database: "\${SHOP_DB}" }`).replace('live', 'Live'), false],
    [
      'a webhook event that does not exist',
      'webhooks: [{ url: https://x.example, format: slack, events: [backup.done] }]\n',
      false,
    ],
  ];
  test.each(cases)('%s', (_name, text, accepted) => {
    const data = parse(text);
    expect(validate(data), JSON.stringify(validate.errors)).toBe(accepted);
    const load = () => parseConfig(text, 'backstop.yaml', { env, cwd: repo });
    if (accepted) expect(load).not.toThrow();
    else expect(load).toThrow(/The configuration has/);
  });
});
