import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { BackstopError } from '../domain/backstop-error.ts';
import { configuredParts, type MediaLocation, type Target } from '../domain/target.ts';
import { defaultRetentionPolicy } from '../retention/retention-policy.ts';
import type { BackstopConfig } from './backstop-config.ts';
import { type ConfigFile, configSchema, durationSeconds } from './config-schema.ts';
import { describeIssue, formatPath } from './describe-issue.ts';
import { resolveEmailAlerts } from './email-alert-config.ts';
import { httpDrainOf } from './http-drain.ts';
import { interpolate } from './interpolate.ts';
import { resolveWebhooks } from './webhook-config.ts';

export interface LoadConfigOptions {
  /** `--config` from the command line: must exist when given. */
  explicitPath?: string;
  /** The process environment: the config loader is the only part of Backstop that reads it. */
  env: Record<string, string | undefined>;
  cwd: string;
}

/**
 * Finds, reads and validates the configuration: `--config`, else BACKSTOP_CONFIG, else ./backstop.yaml, else the
 * built-in defaults (embedded state and storage under ./.backstop, no apps; `lookedFor` names the file not found). Every problem is reported at once, each
 * as `file:line path: what is wrong and what to write`, in a BackstopError with code `config-invalid` (or
 * `config-missing` for a named file that does not exist).
 */
export function loadConfig(options: LoadConfigOptions): BackstopConfig {
  const path = findConfigFile(options);
  if (path === undefined) {
    return {
      ...resolveConfig(configSchema.parse({}), undefined, options),
      lookedFor: resolve(options.cwd, 'backstop.yaml'),
    };
  }
  const text = readFileSync(path, 'utf8');
  return parseConfig(text, path, options);
}

function findConfigFile({ explicitPath, env, cwd }: LoadConfigOptions): string | undefined {
  const named = explicitPath ?? env['BACKSTOP_CONFIG'];
  if (named !== undefined && named !== '') {
    const path = resolve(cwd, named);
    if (!existsSync(path)) {
      const how = explicitPath === undefined ? 'BACKSTOP_CONFIG names' : '--config names';
      const message = `${how} ${path}, which does not exist; create it (see examples/backstop.yaml) or fix the path`;
      throw new BackstopError('config-missing', message, { userMessage: message });
    }
    return path;
  }
  const local = resolve(cwd, 'backstop.yaml');
  return existsSync(local) ? local : undefined;
}

/** Parses and validates config text; `path` is used for messages and to resolve relative paths. */
export function parseConfig(text: string, path: string, options: LoadConfigOptions): BackstopConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  // The line of a key's own name: a value written as an indented block starts on the line after it.
  const lineOf = (keyPath: readonly PropertyKey[]): number | undefined => {
    for (let depth = keyPath.length; depth >= 0; depth--) {
      const parent = depth > 0 ? document.getIn(keyPath.slice(0, depth - 1) as unknown[], true) : undefined;
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === keyPath[depth - 1]);
        const keyRange = (pair?.key as { range?: [number] } | undefined)?.range;
        if (keyRange) return lines.linePos(keyRange[0]).line;
      }
      const node = document.getIn(keyPath.slice(0, depth) as unknown[], true) as { range?: [number] } | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const problems: string[] = [];
  const missingPaths: PropertyKey[][] = [];
  for (const error of document.errors) {
    const { line, col } = lines.linePos(error.pos[0]);
    problems.push(`${path}:${line}:${col}: ${error.message.split('\n')[0]} (this is not valid YAML)`);
  }
  if (problems.length > 0) throw configError(problems);
  if (document.contents !== null && !isMap(document.contents)) {
    throw configError([`${path}: the file must be a mapping of keys such as apps:, storage:, encryption:`]);
  }

  const raw = interpolateTree(document.toJS() ?? {}, [], options.env, (keyPath, variables) => {
    missingPaths.push(keyPath);
    const line = lineOf(keyPath);
    problems.push(
      `${path}${line ? `:${line}` : ''}: ${formatPath(keyPath)}: the environment variable ${variables.join(', ')} is not set; ` +
        `set it, or write \${${variables[0]}:-default} for a default`,
    );
  });
  // The input in each issue says what kind of value was written where (never shown itself: it may be a secret).
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    // A setting whose variable is missing was already reported; its consequences ("needs a database") would only
    // repeat it.
    const related = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.every((segment, i) => b[i] === segment);
    for (const issue of parsed.error.issues) {
      const consequence = (missing: PropertyKey[]) =>
        related(missing, issue.path) || (issue.code === 'custom' && related(issue.path, missing));
      if (missingPaths.some(consequence)) continue;
      problems.push(...describeIssue(issue, { file: path, lineOf }));
    }
  }
  if (problems.length > 0 || !parsed.success) throw configError(sortByLine(problems));
  return resolveConfig(parsed.data, path, options);
}

function sortByLine(problems: string[]): string[] {
  const line = (problem: string) => Number(/^[^:]*:(\d+):/.exec(problem)?.[1] ?? 0);
  return [...problems].sort((a, b) => line(a) - line(b));
}

function configError(problems: string[]): BackstopError {
  const message = `The configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  ${p}`).join('\n')}`;
  return new BackstopError('config-invalid', message, { userMessage: message, details: { problems } });
}

function interpolateTree(
  value: unknown,
  path: PropertyKey[],
  env: Record<string, string | undefined>,
  onMissing: (path: PropertyKey[], variables: string[]) => void,
): unknown {
  if (typeof value === 'string') {
    const { value: result, missing } = interpolate(value, env);
    if (missing.length > 0) onMissing(path, missing);
    // An optional setting written as ${VAR:-} and left empty counts as not set.
    return result === '' && value !== '' ? undefined : result;
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, [...path, index], env, onMissing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateTree(item, [...path, key], env, onMissing)]),
    );
  }
  return value;
}

function resolveConfig(file: ConfigFile, path: string | undefined, options: LoadConfigOptions): BackstopConfig {
  const stateDatabaseUrl = file.database ?? emptyToUndefined(options.env['DATABASE_URL']);
  if (stateDatabaseUrl !== undefined && file.encryption === undefined) {
    // A generated key lives in one data directory: the other instances sharing the state could not decrypt
    // what this one backs up.
    throw configError([
      `${path ?? 'the built-in defaults'}: encryption: is needed when Backstop's state is shared (database: or ` +
        'DATABASE_URL), so that every instance encrypts to and decrypts with the same keys. Make a key pair with ' +
        '`backstop keygen -o keys/backstop.key` and list it on every instance under encryption.recipients and ' +
        'encryption.identities (see examples/backstop.yaml)',
    ]);
  }
  const base = path === undefined ? options.cwd : dirname(path);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const dataDir = abs(file.dataDir);
  const storage: BackstopConfig['storage'] = file.storage?.s3
    ? { type: 's3', ...file.storage.s3, prefix: normalisePrefix(file.storage.s3.prefix) }
    : { type: 'dir', path: abs(file.storage?.dir ?? join(dataDir, 'backups')) };
  const encryption: BackstopConfig['encryption'] = file.encryption
    ? {
        recipients: file.encryption.recipients ?? [],
        identityFiles: file.encryption.identities.map(abs),
        recipientsFromIdentities: file.encryption.recipients === undefined,
        generated: false,
      }
    : {
        recipients: [],
        identityFiles: [join(dataDir, 'keys', 'backstop.key')],
        recipientsFromIdentities: true,
        generated: true,
      };

  const targets: Target[] = [];
  for (const [app, appConfig] of Object.entries(file.apps)) {
    for (const [env, envConfig] of Object.entries(appConfig.environments)) {
      const configured = configuredParts(envConfig);
      const given = envConfig.schedule ?? { cron: '0 2 * * *', timezone: 'UTC' };
      const schedule: Target['schedule'] = given === 'off' ? 'off' : { ...given, parts: given.parts ?? configured };
      const target: Target = {
        app,
        env,
        protected: envConfig.protected,
        schedule,
        retention: {
          onDemand: envConfig.retention?.onDemand ?? appConfig.retention?.onDemand ?? defaultRetentionPolicy.onDemand,
          scheduled:
            envConfig.retention?.scheduled ?? appConfig.retention?.scheduled ?? defaultRetentionPolicy.scheduled,
          timezone: schedule === 'off' ? 'UTC' : schedule.timezone,
        },
      };
      if (envConfig.database !== undefined) target.database = envConfig.database;
      if (envConfig.media !== undefined) target.media = mediaLocation(envConfig.media, envConfig.mediaS3, abs);
      const compression =
        envConfig.compression ?? envConfig.compressionLevel ?? appConfig.compression ?? appConfig.compressionLevel;
      if (compression !== undefined) target.compression = compression;
      if (envConfig.excludeTableData !== undefined && envConfig.excludeTableData.length > 0)
        target.excludeTableData = envConfig.excludeTableData;
      if (envConfig.codeVersion !== undefined) target.codeVersion = envConfig.codeVersion;
      if (envConfig.drill !== undefined && envConfig.drill !== 'off') {
        const { cron, timezone, checks = [], server } = envConfig.drill;
        target.drill = {
          checks,
          schedule: cron === undefined ? 'off' : { cron, timezone },
          ...(server !== undefined && { server }),
        };
      }
      targets.push(target);
    }
  }
  return {
    source: path,
    dataDir,
    stateDatabaseUrl,
    storage,
    encryption,
    targets,
    raw: file,
    downloads: {
      linkTtlSeconds: durationSeconds(file.downloads?.linkTtl ?? '24h'),
      linkSecret: file.downloads?.linkSecret,
    },
    email: file.email,
    people: file.people,
    webhooks: resolveWebhooks(file.webhooks),
    emailAlerts: resolveEmailAlerts(file.apps),
    httpDrain: httpDrainOf(file, options.env),
  };
}

function mediaLocation(
  media: string,
  connection: ConfigFile['apps'][string]['environments'][string]['mediaS3'],
  abs: (p: string) => string,
): MediaLocation {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(media);
  if (!match) return { type: 'dir', path: abs(media) };
  return {
    type: 's3',
    bucket: match[1]!,
    prefix: normalisePrefix(match[2] ?? ''),
    connection: connection ?? { region: 'us-east-1', forcePathStyle: false, timeouts: { connect: '10s', idle: '60s' } },
  };
}

function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
