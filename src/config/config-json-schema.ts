import { z } from 'zod';
import { configSchema } from './config-schema.ts';

/**
 * The JSON Schema of backstop.yaml as a person writes it, generated from the zod schema that validates the file at
 * start-up, for editors to complete and check the file (schema/backstop.schema.json, written by the build).
 *
 * zod describes the input of `configSchema`, which is not quite the file: Backstop interpolates `${VAR}` into every
 * string before validating, and reads some settings from text. So the generated schema is adjusted here:
 * - a string with a pattern, a format or a list of values, and a number or yes/no setting read from text (`port:
 *   ${PORT}`), also accepts a `${VAR}` reference (`$defs/variable`);
 * - settings read by a transform (compression, durations with a unit) are described by the `writtenAs` metadata
 *   their zod schema carries;
 * - defaults that zod drops beside a transform are put back, and a bound that only says "a safe integer" goes.
 * What JSON Schema cannot say (a cron expression's fields, a time zone's name, "database or media") is checked at
 * start-up and by `backstop config check`; an editor checks the shape.
 */
export type JsonSchema = Record<string, unknown>;

/** `${VAR}` or `${VAR:-default}` anywhere in the text: the value comes from the environment. */
export const VARIABLE_PATTERN = '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}';

const variableRef = { $ref: '#/$defs/variable' };

/** What an editor shows on hover, by the path of a key (`*` for any name under apps, environments, people). */
const descriptions: Record<string, string> = {
  dataDir: 'Embedded state (state.sqlite), the generated key and the default backup directory. Default ./.backstop.',
  database: "PostgreSQL for Backstop's own state, shared by every serve and worker; without it the state is embedded.",
  storage: 'Where backups are stored: dir (a directory) or s3 (a bucket), not both.',
  encryption: 'age keys: every part is encrypted to all recipients; any identity file decrypts.',
  apps: 'The applications backed up, by name; each has environments (targets written app/env).',
  'apps.*.environments': 'The environments of this app, by name: each is a target written app/env.',
  'apps.*.environments.*.database': `The PostgreSQL URL of the database to back up, e.g. \${SHOP_LIVE_DATABASE_URL}.`,
  'apps.*.environments.*.media': 'The uploaded files: a directory path or an s3://bucket/prefix URL.',
  'apps.*.environments.*.mediaS3': "The media bucket's own endpoint and credentials.",
  'apps.*.environments.*.protected': 'Restores into this environment need approval by someone else (chat, API).',
  'apps.*.environments.*.schedule': 'Scheduled backups: { cron, timezone, parts } or off. Default 0 2 * * * UTC.',
  'apps.*.environments.*.compression':
    "pg_dump's compression: gzip:1 (default), 0-9, gzip:N, lz4[:N], zstd[:N] (pg_dump 16+), none.",
  'apps.*.retention': 'How long backups are kept, for every environment of the app (an environment may override).',
  'apps.*.access': 'Who may do what with this app from chat, the API and the web: role -> principals.',
  'apps.*.channels': 'Chat channels bound to this app, so commands there may omit it.',
  'apps.*.notify': "Who else hears of this app's failed and missed backups.",
  'apps.*.notify.email': 'Addresses emailed when a backup of this app fails or is missed (needs email.smtp).',
  downloads: 'Download links: how long they live (linkTtl) and the secret they are signed with.',
  http: 'The HTTP server of serve: address, public URL, how it stops.',
  workers: 'Background work in each serve or worker process.',
  logs: 'How serve and worker write their log: json, text, or auto (text on a terminal).',
  email: 'SMTP for download links and alert emails.',
  people: 'Email addresses by principal (slack:U123, cli:ana), for download links.',
  chat: 'The Slack and Discord apps (see adapters/slack/README.md and adapters/discord/README.md).',
  webhooks: 'Endpoints that hear of backups, restores and downloads: slack, discord or generic (signed JSON).',
  web: 'The Backups view: session length and sign-in with an OpenID Connect provider.',
};

/** The schema, generated afresh (pure: the same config schema gives the same text). */
export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, {
    target: 'draft-2020-12',
    io: 'input',
    // Refinements have no JSON Schema form; a transform without `writtenAs` would be any value (none is left).
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema, path }) => adjust(zodSchema, jsonSchema as JsonSchema, path),
  }) as JsonSchema;
  const { $schema, ...rest } = generated;
  const schema: JsonSchema = {
    $schema,
    title: 'Backstop configuration (backstop.yaml)',
    description:
      `Backstop reads one YAML file; \${VAR} and \${VAR:-default} take environment variables. ` +
      '`backstop config check` validates a file as start-up does, with what JSON Schema cannot say.',
    ...rest,
    $defs: {
      variable: {
        description: `An environment variable, \${VAR} or \${VAR:-default}, read when Backstop starts.`,
        type: 'string',
        pattern: VARIABLE_PATTERN,
      },
    },
  };
  describe(schema, descriptions);
  return schema;
}

/** The schema file's text, as the build writes it and the package ships it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

function adjust(zodSchema: z.core.$ZodType, json: JsonSchema, path: (string | number)[]): void {
  const def = zodSchema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const writtenAs = json['writtenAs'] as JsonSchema | undefined;
  if (writtenAs !== undefined) {
    replace(json, writtenAs);
    return;
  }
  if (def.type === 'default' && json['default'] === undefined) {
    json['default'] = def['defaultValue'];
    return;
  }
  if (def.type === 'pipe' && (def['in'] as z.core.$ZodType)._zod.def.type === 'transform') {
    // A setting read from text (`port: ${PORT}`, `protected: "true"`): the value, its text, or a variable.
    const text = json['type'] === 'boolean' ? { type: 'string', enum: ['true', 'false'] } : digits(json);
    if (text !== undefined) replace(json, { anyOf: [{ ...json }, text, variableRef] });
    return;
  }
  if (def.type === 'number') dropSafeIntegerBounds(json);
  const isKey = path.at(-1) === 'propertyNames';
  const constrained =
    json['pattern'] !== undefined ||
    json['format'] !== undefined ||
    json['enum'] !== undefined ||
    json['const'] !== undefined;
  if (json['type'] === 'string' && constrained && !isKey) replace(json, { anyOf: [{ ...json }, variableRef] });
}

/** A whole number written as text, for integer settings; undefined for other kinds. */
function digits(json: JsonSchema): JsonSchema | undefined {
  return json['type'] === 'integer' ? { type: 'string', pattern: '^\\s*-?\\d+\\s*$' } : undefined;
}

/** zod bounds every integer by the safe range; a person's file needs no such bound. */
function dropSafeIntegerBounds(json: JsonSchema): void {
  if (json['maximum'] === Number.MAX_SAFE_INTEGER) delete json['maximum'];
  if (json['minimum'] === Number.MIN_SAFE_INTEGER) delete json['minimum'];
}

/** Replaces an object's content in place (zod keeps a reference to it). */
function replace(json: JsonSchema, by: JsonSchema): void {
  const copy = { ...by };
  for (const key of Object.keys(json)) delete json[key];
  Object.assign(json, copy);
}

/** Adds each description to the schema of its path; throws on a path the schema does not have. */
function describe(schema: JsonSchema, texts: Record<string, string>): void {
  for (const [path, text] of Object.entries(texts)) {
    let node: JsonSchema | undefined = schema;
    for (const key of path.split('.')) {
      node = objectSchemaOf(node);
      node = (key === '*' ? node?.['additionalProperties'] : (node?.['properties'] as JsonSchema)?.[key]) as
        | JsonSchema
        | undefined;
    }
    if (node === undefined) throw new Error(`the config schema has no ${path} to describe`);
    node['description'] = text;
  }
}

/** The object schema of a node that may be an object or, for an optional section, one branch of an anyOf. */
function objectSchemaOf(node: JsonSchema | undefined): JsonSchema | undefined {
  if (node === undefined || node['type'] === 'object') return node;
  const branches = (node['anyOf'] ?? node['oneOf']) as JsonSchema[] | undefined;
  return branches?.find((branch) => branch['type'] === 'object');
}
