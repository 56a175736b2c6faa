import type { CommandName } from './command.ts';

/** One usage line and a one-sentence purpose per command, as `help` shows them. */
export const usage: Record<CommandName, { line: string; purpose: string }> = {
  help: { line: 'help [<command>]', purpose: 'show the commands, or one command in detail' },
  list: { line: 'list [<app/env>] [scheduled|on-demand]', purpose: 'list backups, newest first' },
  create: {
    line: 'create [db|media|db+media] [<app/env>] [note...]',
    purpose: 'take a backup now (default: db+media), with an optional note',
  },
  show: {
    line: 'show <id>',
    purpose:
      'show one backup (parts, sizes, checksums, note), or a restore, a download with its links, a drill, or an operation, by its id',
  },
  restore: {
    line: 'restore <id> [db|media|db+media] [to <app/env>] [--no-safety-backup]',
    purpose:
      'overwrite an environment with a backup (default: its own environment, every part); a safety backup of the destination is taken first',
  },
  verify: { line: 'verify <id>', purpose: 'read a backup back, decrypt it and check every checksum' },
  drill: {
    line: 'drill <id|app/env>',
    purpose:
      "prove a backup restores: restore it into a scratch database and directory, check every table's row count and the configured checks, then remove them (app/env: its newest completed backup holding all its parts; add --wait to get the outcome's exit code when a server runs it)",
  },
  pin: { line: 'pin <id>', purpose: 'keep a backup whatever the retention policy says' },
  unpin: { line: 'unpin <id>', purpose: 'let the retention policy decide about a backup again' },
  prune: {
    line: 'prune [<app/env>] [--dry-run]',
    purpose: 'delete the backups the retention policy no longer keeps (every target when none is named)',
  },
  schedule: {
    line: 'schedule [<app/env>]',
    purpose: 'show each schedule, its next run, its last result and its retention policy',
  },
  download: {
    line: 'download <id> [db|media|db+media] [--email <address>]',
    purpose:
      'prepare plaintext copies of a backup (a pg_dump file, a media tar) and send expiring links, by email too when known',
  },
  status: {
    line: 'status [<id>] [--all]',
    purpose:
      'show queued and running operations with their progress (--all: recently finished ones too), or one operation by its id or its backup, restore or download id',
  },
  cancel: {
    line: 'cancel <operation-id>',
    purpose:
      'stop a queued or running operation (a backup, restore or download id works too); its partial objects are removed',
  },
};

export const commandNames = Object.keys(usage) as CommandName[];
