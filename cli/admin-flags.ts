import type { AdminFlags } from './admin-args.ts';

/**
 * The flags of the admin commands, in one place: each command parses its words with them (parseAdminArgs) and shell
 * completion offers them (completeWords), so the two never disagree. A light module: completion loads nothing else.
 */
export const adminFlags = {
  'token create': { name: { type: 'string' }, role: { type: 'string' }, apps: { type: 'string' } },
  'token list': {},
  'token revoke': {},
  audit: { app: { type: 'string' }, limit: { type: 'string' } },
  'retention simulate': {
    days: { type: 'string' },
    every: { type: 'string' },
    policy: { type: 'string' },
    timezone: { type: 'string' },
  },
  keygen: { output: { type: 'string', short: 'o' } },
  decrypt: { identity: { type: 'string', short: 'i', multiple: true }, output: { type: 'string', short: 'o' } },
  'catalog rebuild': { 'trust-unsigned': { type: 'boolean' } },
  'discord register': { guild: { type: 'string' } },
  'keys retire': {},
  'web login': {},
  'config check': {},
  'config schema': {},
} as const satisfies Record<string, AdminFlags>;

/** The admin commands that take a subcommand, and the subcommands they take. */
export const adminSubcommands: Readonly<Record<string, readonly string[]>> = {
  token: ['create', 'list', 'revoke'],
  retention: ['simulate'],
  catalog: ['rebuild'],
  discord: ['register'],
  keys: ['retire'],
  web: ['login'],
  config: ['check', 'schema'],
};

/** What each admin command is for, in a few words (shell completion shows them beside the names). */
export const adminPurposes: Readonly<Record<string, string>> = {
  serve: 'run Backstop: workers, scheduled backups, HTTP',
  worker: 'run queued operations only',
  migrate: 'bring the state database up to date',
  keygen: 'make an age key pair',
  decrypt: 'decrypt an object fetched by hand',
  catalog: 'rebuild the catalogue from the backup.json files',
  retention: 'draw what a retention policy keeps over time',
  token: 'HTTP API tokens',
  audit: 'who did what, from every surface',
  web: 'a one-time link into the Backups view',
  discord: 'register the /backup command with Discord',
  keys: 'stop encrypting to a key on every instance',
  config: 'check a config file and print it resolved; its JSON Schema',
  completion: 'print the shell completion script for bash, zsh or fish',
  version: 'print the version',
};
