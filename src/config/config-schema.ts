import { z } from 'zod';
import { PG_COMPRESSION_HINT, type PgCompression, parsePgCompression } from '../domain/pg-compression.ts';
import { tablePatternProblem } from '../domain/pg-table-pattern.ts';
import { cronProblem } from './cron-problem.ts';
import { webhooksSchema } from './webhook-config.ts';

/**
 * The shape of backstop.yaml. Key names are a contract (DESIGN.md, Configuration): add keys freely, rename none.
 * Objects are strict so that a misspelt key is reported instead of silently ignored. Every message says what to
 * write instead, because a person reads it at start-up.
 */

/**
 * A number or yes/no setting may come from the environment (`port: ${PORT}`): interpolation yields text, which is
 * read as YAML would have read the variable's value when it is a plain whole number or true/false.
 */
function fromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^-?\d+$/.test(value.trim())) return Number(value.trim());
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

const int = (min?: number, max?: number) => {
  let bounded = z.int();
  if (min !== undefined) bounded = bounded.min(min);
  if (max !== undefined) bounded = bounded.max(max);
  return z.preprocess(fromText, bounded);
};
const bool = () => z.preprocess(fromText, z.boolean());

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_", starting with a letter or digit');

/** An email address, loosely: something@somewhere (the SMTP server says the rest). */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'write a PostgreSQL URL such as postgres://user:password@host:5432/dbname');

/**
 * `compression:` of a database part: a gzip level 0-9, or gzip, lz4, zstd or none with an optional `:level`.
 * (`writtenAs`, here and on the other transforms: what the file holds, for the editors' JSON Schema, which cannot
 * see through a transform; see config-json-schema.ts.)
 */
const compression = z
  .union([z.number(), z.string()], { error: PG_COMPRESSION_HINT })
  .transform((value, ctx) => {
    const parsed = parsePgCompression(value);
    if (!('problem' in parsed)) return parsed;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  })
  .meta({
    writtenAs: {
      anyOf: [
        { type: 'integer', minimum: 0, maximum: 9 },
        { type: 'string', pattern: '^(gzip|lz4|zstd)(:\\d+)?$|^none$' },
        { $ref: '#/$defs/variable' },
      ],
    },
  });

/** The older `compressionLevel:`, a gzip level 0-9 (from an environment variable too). */
const LEVEL_HINT =
  'compressionLevel is a gzip level from 0 to 9; for anything else write compression: (e.g. gzip:5, none)';
const compressionLevel = z
  .union([z.number(), z.string()], { error: LEVEL_HINT })
  .transform((value, ctx) => {
    const level = String(value).trim();
    if (/^\d$/.test(level)) return parsePgCompression(Number(level)) as PgCompression;
    ctx.addIssue({ code: 'custom', message: `${LEVEL_HINT}, not ${JSON.stringify(value)}` });
    return z.NEVER;
  })
  .meta({
    writtenAs: {
      anyOf: [
        { type: 'integer', minimum: 0, maximum: 9 },
        { type: 'string', pattern: '^\\s*\\d\\s*$' },
        { $ref: '#/$defs/variable' },
      ],
    },
  });

const duration = z.string().regex(/^\d+(s|m|h|d)$/, 'write a duration such as 30m, 24h or 7d');

/** How long serve waits while it stops (http.drain): seconds or minutes; a number alone is not taken as seconds. */
const DRAIN_HINT = 'write a duration such as 10s or 1m';
const drainDuration = z
  .union([z.number(), z.string()], { error: DRAIN_HINT })
  .transform((value, ctx) => {
    if (typeof value === 'string' && /^\d+(s|m)$/.test(value)) return durationSeconds(value);
    ctx.addIssue({
      code: 'custom',
      message: typeof value === 'number' ? `${DRAIN_HINT} (found a number without its unit)` : DRAIN_HINT,
    });
    return z.NEVER;
  })
  .meta({ writtenAs: { anyOf: [{ type: 'string', pattern: '^\\d+(s|m)$' }, { $ref: '#/$defs/variable' }] } });

/**
 * How long a call to the endpoint may take before it fails (and is tried again): `connect` to open a connection,
 * `idle` without a byte moving either way (waiting for the first byte of an answer, or between chunks).
 */
const timeouts = z.strictObject({
  connect: duration.default('10s'),
  idle: duration.default('60s'),
});

const s3Connection = z.strictObject({
  endpoint: z.url('write the endpoint as a URL, e.g. https://s3.eu-central-1.amazonaws.com').optional(),
  region: z.string().default('us-east-1'),
  forcePathStyle: bool().default(false),
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
  sessionToken: z.string().optional(),
  timeouts: timeouts.default({ connect: '10s', idle: '60s' }),
});

const storageClass = z.enum([
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'REDUCED_REDUNDANCY',
]);

const s3Storage = s3Connection.extend({
  bucket: z.string().min(3, 'write the bucket name, e.g. bucket: my-backups'),
  prefix: z.string().default(''),
  storageClass: storageClass.default('STANDARD_IA'),
  serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
  kmsKeyId: z.string().optional(),
});

const storage = z
  .strictObject({
    dir: z.string().min(1).optional(),
    s3: s3Storage.optional(),
  })
  .refine((value) => !(value.dir && value.s3), {
    message: 'choose one: either storage.dir (a directory) or storage.s3 (a bucket), not both',
  });

const parts = z.enum(['db', 'media', 'db+media']);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const schedule = z.union(
  [
    z.literal('off'),
    z.strictObject({
      cron: z
        .string()
        .superRefine((expression, ctx) => {
          const problem = cronProblem(expression);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
        })
        .default('0 2 * * *'),
      timezone: z.string().refine(isTimeZone, 'write an IANA time zone such as Europe/Zurich or UTC').default('UTC'),
      /** Default: every part the environment has (db, media or both). */
      parts: parts.optional(),
    }),
  ],
  {
    error:
      'a schedule is { cron, timezone, parts } (each optional, e.g. { cron: "0 2 * * *", timezone: Europe/Zurich, ' +
      'parts: db }) or off',
  },
);

const retention = z.strictObject({
  onDemand: z.strictObject({ keepLast: int(0).default(3), maxAgeDays: int(0).default(30) }).optional(),
  scheduled: z
    .strictObject({
      daily: int(0).default(7),
      weekly: int(0).default(4),
      monthly: int(0).default(12),
    })
    .optional(),
});

const principal = z
  .string()
  .regex(
    /^(\*|(slack|slack-channel|discord|discord-role|discord-channel|cli|api|web):\S+)$/,
    'write a principal: slack:U123, slack-channel:C123, discord:456, discord-role:789, discord-channel:987, ' +
      'web:ana@example.com, or *',
  );

const channel = z
  .string()
  .regex(/^(slack|slack-channel|discord|discord-channel):\S+$/, 'write a channel: slack:C123 or discord:987');

/**
 * `excludeTableData:` pg_dump patterns (`sessions`, `public.django_session`, `log_*`, `audit.*`): those tables are
 * kept, their rows are not. Whole tables are never left out: an exact restore would drop them at the destination.
 */
const excludeTableData = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'write a table pattern such as django_session, public.django_session or log_*')
      .refine((pattern) => !pattern.startsWith('-'), 'write the table pattern alone, without a pg_dump option')
      .superRefine((pattern, ctx) => {
        const problem = tablePatternProblem(pattern);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    { error: 'write a list of table patterns, e.g. excludeTableData: [django_session, "log_*"]' },
  )
  .optional();

/**
 * `codeVersion:` where the process taking a backup reads the application's code version, recorded with the backup:
 * an environment variable of that process, or a command it runs (its first line of output).
 */
const codeVersion = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'write an environment variable name') }),
    z.strictObject({ command: z.string().trim().min(1, 'write a command such as git -C /srv/app rev-parse HEAD') }),
  ],
  {
    error:
      'codeVersion is { env: VARIABLE } (e.g. { env: APP_REVISION }) or { command: "..." } ' +
      '(e.g. { command: "git -C /srv/app rev-parse HEAD" })',
  },
);

/**
 * `drill:` restore drills of an environment's backups: `checks`, SQL assertions each drill runs in the restored scratch
 * database (each must return true); `cron` and `timezone`, when drills run on their own (none without `cron`);
 * `server`, a PostgreSQL URL whose server holds the scratch databases instead of the target's own. `drill: off` is the
 * same as no `drill:` (drills by hand only, no checks).
 */
const drillSettings = z.strictObject(
  {
    server: z
      .string()
      .regex(
        /^postgres(ql)?:\/\//,
        'write a postgres:// URL of the server drills restore onto (its role needs CREATEDB)',
      )
      .optional(),
    cron: z
      .string()
      .superRefine((expression, ctx) => {
        const problem = cronProblem(expression);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    timezone: z.string().refine(isTimeZone, 'write an IANA time zone such as Europe/Zurich or UTC').default('UTC'),
    checks: z
      .array(z.string().trim().min(1, 'write a SQL query that returns true, e.g. select count(*) > 0 from auth_user'))
      .optional(),
  },
  {
    error:
      'drill is off or { cron, timezone, checks, server } (each optional, e.g. { cron: "0 5 * * 0", timezone: UTC, ' +
      'checks: ["select count(*) > 0 from auth_user"] })',
  },
);
const drill = z.union([z.literal('off'), drillSettings], {
  error:
    'drill is off or { cron, timezone, checks, server } (each optional, e.g. { cron: "0 5 * * 0", timezone: UTC, ' +
    'checks: ["select count(*) > 0 from auth_user"] })',
});

const environment = z
  .strictObject({
    /** Chat channels bound to this environment (a target), so commands there may omit it. */
    channels: z.array(channel).optional(),
    database: postgresUrl.optional(),
    media: z.string().min(1, 'write a directory path or an s3://bucket/prefix URL').optional(),
    mediaS3: s3Connection.optional(),
    protected: bool().default(false),
    schedule: schedule.optional(),
    retention: retention.optional(),
    /** How pg_dump compresses the database: gzip:1 (the default), 0-9, gzip:N, lz4[:N], zstd[:N], none. */
    compression: compression.optional(),
    /** The older name of `compression: <gzip level>`. */
    compressionLevel: compressionLevel.optional(),
    /** Tables whose rows the database part leaves out (sessions, logs, caches); the tables themselves are kept. */
    excludeTableData,
    /** Where to read the application's code version, recorded with each backup. */
    codeVersion: codeVersion.optional(),
    /** Restore drills: SQL checks, and a schedule (off unless a cron is given). */
    drill: drill.optional(),
  })
  .refine((env) => env.drill === 'off' || env.drill?.checks === undefined || env.database !== undefined, {
    message: 'drill checks run in the restored database, and this environment has no database: remove them',
    path: ['drill', 'checks'],
  })
  .refine((env) => env.drill === 'off' || env.drill?.server === undefined || env.database !== undefined, {
    message: 'a drill server holds restored databases, and this environment has no database: remove it',
    path: ['drill', 'server'],
  })
  .refine((env) => env.compression === undefined || env.compressionLevel === undefined, {
    message: 'write compression or compressionLevel (its older name), not both',
    path: ['compressionLevel'],
  })
  .refine((env) => env.excludeTableData === undefined || env.database !== undefined, {
    message: 'excludeTableData applies to the database part, and this environment has no database: remove it',
    path: ['excludeTableData'],
  })
  .refine((env) => env.database !== undefined || env.media !== undefined, {
    message: 'an environment needs a database: URL, a media: location, or both',
  })
  .refine((env) => !schedulesMissingPart(env, 'db', env.database), {
    message: 'the schedule backs up db, but this environment has no database: add one, or set schedule.parts: media',
    path: ['schedule', 'parts'],
  })
  .refine((env) => !schedulesMissingPart(env, 'media', env.media), {
    message: 'the schedule backs up media, but this environment has no media: add it, or set schedule.parts: db',
    path: ['schedule', 'parts'],
  });

function schedulesMissingPart(
  env: { schedule?: 'off' | { parts?: string | undefined } | undefined },
  part: 'db' | 'media',
  configured: string | undefined,
): boolean {
  const parts = env.schedule === undefined || env.schedule === 'off' ? undefined : env.schedule.parts;
  return (parts?.split('+').includes(part) ?? false) && configured === undefined;
}

const app = z
  .strictObject({
    environments: z.record(name, environment).refine((envs) => Object.keys(envs).length > 0, {
      message: 'list at least one environment, e.g. environments: { live: { database: postgres://... } }',
    }),
    retention: retention.optional(),
    /** Who may do what with this app in chat and the API: role -> principals. */
    access: z
      .strictObject({
        viewer: z.array(principal).optional(),
        operator: z.array(principal).optional(),
        restorer: z.array(principal).optional(),
        approver: z.array(principal).optional(),
      })
      .optional(),
    /** Chat channels bound to this app, so commands there may omit it. */
    channels: z.array(channel).optional(),
    /** Who else hears of this app's failed and missed backups: `email:` addresses (sent through `email.smtp`). */
    notify: z
      .strictObject({
        email: z
          .array(z.string().regex(EMAIL, 'write an email address, e.g. ops@example.com'))
          .min(1, 'list at least one address, e.g. email: [ops@example.com], or leave notify: out'),
      })
      .optional(),
    /** The environments' `compression` unless one says otherwise. */
    compression: compression.optional(),
    /** The older name of `compression: <gzip level>`. */
    compressionLevel: compressionLevel.optional(),
  })
  .refine((app) => app.compression === undefined || app.compressionLevel === undefined, {
    message: 'write compression or compressionLevel (its older name), not both',
    path: ['compressionLevel'],
  });

export const configSchema = z
  .strictObject({
    dataDir: z.string().default('./.backstop'),
    database: postgresUrl.optional(),
    storage: storage.optional(),
    encryption: z
      .strictObject({
        /** Without it, every part is encrypted to the identities' own public keys (as `age -e -i` does). */
        recipients: z
          .array(z.string().regex(/^age1[0-9a-z]+$/, 'a recipient looks like age1... (from backstop keygen)'))
          .optional(),
        identities: z.array(z.string().min(1)).default([]),
      })
      .refine((encryption) => encryption.recipients !== undefined || encryption.identities.length > 0, {
        message:
          'list recipients (age1... from backstop keygen) to encrypt to, or identities (key files) to encrypt to ' +
          'their own public keys',
      })
      .optional(),
    apps: z.record(name, app).default({}),
    downloads: z
      .strictObject({
        linkTtl: duration.default('24h'),
        /** The secret download links are signed with; default: made once and shared through the state. */
        linkSecret: z
          .string()
          .min(32, 'write at least 32 characters, e.g. the output of `openssl rand -hex 32`')
          .optional(),
      })
      .optional(),
    http: z
      .strictObject({
        port: int(0, 65535).default(8080),
        host: z.string().default('127.0.0.1'),
        publicUrl: z.url().optional(),
        /**
         * How serve stops (SIGTERM, Ctrl-C): /readyz answers 503 at once; new connections are still taken for
         * `delay`, for load balancers to stop sending any; then the listener closes and requests under way have up to
         * `deadline` to finish. Defaults: see src/config/http-drain.ts.
         */
        drain: z
          .strictObject({
            delay: drainDuration.optional(),
            deadline: drainDuration.optional(),
          })
          .optional(),
      })
      .optional(),
    /** Background work: how many operations one process runs side by side, and how long a claim holds. */
    workers: z
      .strictObject({
        concurrency: int(1, 64).default(2),
        leaseSeconds: int(2, 3600).default(30),
        maxAttempts: int(1, 20).default(3),
      })
      .optional(),
    /**
     * How `serve` and `worker` write their log on stderr: JSON lines (level, time, msg, operationId, target, requestId)
     * for a log collector, or text lines for people; `auto` (the default): text on a terminal, JSON otherwise.
     */
    logs: z
      .strictObject({
        format: z.enum(['auto', 'json', 'text']).default('auto'),
      })
      .optional(),
    /** Where download links are emailed from. Without it, links are only shown (and Backstop says so). */
    email: z
      .strictObject({
        smtp: z.strictObject({
          host: z.string().min(1, 'write the SMTP server name, e.g. smtp.example.com'),
          port: int(1, 65535).default(587),
          /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
          secure: bool().default(false),
          user: z.string().optional(),
          password: z.string().optional(),
          /** Never upgrade to TLS (a local relay without a certificate). */
          ignoreTLS: bool().default(false),
        }),
        from: z.string().regex(/^[^\s@]+@[^\s@]+$|<[^\s@]+@[^\s@]+>$/, 'write an address, e.g. backups@example.com'),
      })
      .optional(),
    /** People's email addresses by principal (slack:U1, discord:42, cli:ana), for download links. */
    people: z
      .record(z.string(), z.string().regex(/^[^\s@]+@[^\s@]+$/, 'write an email address, e.g. ana@example.com'))
      .default({}),
    /** Slack and Discord apps (see adapters/slack/README.md and adapters/discord/README.md). */
    chat: z
      .strictObject({
        slack: z
          .strictObject({
            signingSecret: z.string().min(1),
            botToken: z.string().min(1),
            /** Only to point at a test double of Slack's Web API. */
            apiUrl: z.url().optional(),
          })
          .optional(),
        discord: z
          .strictObject({
            publicKey: z.string().regex(/^[0-9a-f]{64}$/i, 'the application public key: 64 hex digits'),
            applicationId: z.string().regex(/^\d+$/, 'the application id: digits'),
            botToken: z.string().min(1),
            /** Only to point at a test double of Discord's API. */
            apiUrl: z.url().optional(),
          })
          .optional(),
        /** How long a restore request waits for an approver. */
        approvalTtl: duration.default('30m'),
      })
      .optional(),
    webhooks: webhooksSchema.optional(),
    /** The Backups view: how long a sign-in lasts, and sign-in with an OpenID Connect provider. */
    web: z
      .strictObject({
        sessionTtl: duration.default('12h'),
        oidc: z
          .strictObject({
            issuer: z.url("write the provider's issuer URL, e.g. https://slack.com or https://accounts.google.com"),
            clientId: z.string().min(1, 'write the client id the provider gave Backstop'),
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax, shown as an example.
            clientSecret: z.string().min(1, 'write the client secret, e.g. clientSecret: ${OIDC_CLIENT_SECRET}'),
            /** What the sign-in button names: "Sign in with <name>". */
            name: z.string().min(1).default('your sign-in provider'),
            /** Which principal a person signs in as; default `slack` for https://slack.com, else `email`. */
            principal: z.enum(['slack', 'email', 'subject']).optional(),
            /** Slack: only people of this workspace (team id, T...). */
            allowedWorkspace: z
              .string()
              .regex(/^T[A-Z0-9]+$/, 'a Slack team id looks like T0123ABCD')
              .optional(),
            /** Only people whose verified email is at one of these domains. */
            allowedDomains: z
              .array(z.string().regex(/^[a-z0-9.-]+\.[a-z]+$/i, 'write a domain such as example.com'))
              .default([]),
            scopes: z.array(z.string()).default(['openid', 'email', 'profile']),
          })
          .optional(),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    for (const [name, app] of Object.entries(config.apps)) {
      if (app.notify?.email !== undefined && config.email === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['apps', name, 'notify', 'email'],
          message:
            'alerts are emailed through an SMTP server: add email: { smtp: { host: smtp.example.com }, ' +
            'from: backups@example.com } to the config, or remove notify.email',
        });
      }
    }
    const ttl = config.downloads?.linkTtl;
    if (config.storage?.s3 !== undefined && ttl !== undefined && durationSeconds(ttl) > MAX_S3_LINK_TTL_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['downloads', 'linkTtl'],
        message: 'S3 download links live at most 7 days: write 7d or less',
      });
    }
  });

/** S3 presigned URLs live at most 7 days. */
export const MAX_S3_LINK_TTL_SECONDS = 7 * 24 * 3600;

/** "30m" -> 1800 (the duration format of the config file). */
export function durationSeconds(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

export type ConfigFile = z.infer<typeof configSchema>;
export type EnvironmentConfig = z.infer<typeof environment>;
export type S3ConnectionConfig = z.infer<typeof s3Connection>;
export type S3StorageConfig = z.infer<typeof s3Storage>;
