import { checkMetadataSignature, type MetadataSignature, signMetadata } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup } from '../domain/backup.ts';

/**
 * backup.json: what a person (or `catalog rebuild`) needs to understand a backup folder without Backstop. It holds
 * ids, target, trigger, note, times and, per part, the object name, sizes and sha256 of the plaintext and of the
 * stored object. Never secrets, never data.
 */
export interface BackupMetadata {
  format: 'backstop-backup/1';
  id: string;
  app: string;
  env: string;
  trigger: Backup['trigger'];
  parts: string;
  note: string | null;
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string;
  /** For a scheduled backup, the scheduled time it was taken for. */
  slot?: string | null;
  toolVersion: string;
  /** The application's code version when the backup ran, where the environment says how to read it. */
  codeVersion?: string | null;
  encryption: 'age-v1';
  objects: Array<{
    kind: 'db' | 'media';
    key: string;
    file: string;
    format: string;
    sizeBytes: number;
    sha256: string;
    storedSizeBytes: number;
    storedSha256: string;
    /** A database part's tables kept without their rows (`excludeTableData`): a restore leaves them empty. */
    tablesWithoutRows?: string[];
    /** A database part's tables and their exact row counts as of the dump's snapshot. */
    tableRows?: Record<string, number>;
  }>;
  /**
   * HMACs of the rest of the file (in canonical form: keys sorted, no spaces) under keys derived from the identities
   * of the instance that wrote it: a `catalog rebuild` accepts only metadata one of its own keys signed.
   */
  signatures?: MetadataSignature[];
}

/** What a backup.json's signatures say, checked with the identities held (see checkMetadataSignature). */
export type MetadataTrust = ReturnType<typeof checkMetadataSignature>;

/** The backup's metadata, signed with every identity given, as the text of its backup.json. */
export function signedMetadataText(backup: Backup, completedAt: Date, identities: readonly string[]): string {
  const metadata = backupMetadata(backup, completedAt);
  const signatures = signMetadata(canonicalJson(metadata), identities);
  return `${JSON.stringify({ ...metadata, signatures }, null, 2)}\n`;
}

/** Reads a backup.json: the backup it describes, and whether one of `identities` signed it as it is. */
export function readBackupMetadata(
  text: string,
  origin: string,
  identities: readonly string[],
): { backup: Backup; trust: MetadataTrust } {
  const backup = parseBackupMetadata(text, origin);
  const { signatures, ...rest } = JSON.parse(text) as BackupMetadata;
  return { backup, trust: checkMetadataSignature(canonicalJson(rest), signatures, identities) };
}

/** JSON with object keys sorted and no whitespace: the same text for the same content, however it was formatted. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function backupMetadata(backup: Backup, completedAt: Date): BackupMetadata {
  return {
    format: 'backstop-backup/1',
    id: backup.id,
    app: backup.app,
    env: backup.env,
    trigger: backup.trigger,
    parts: backup.parts,
    note: backup.note,
    requestedBy: backup.requestedBy,
    createdAt: backup.createdAt.toISOString(),
    startedAt: backup.startedAt?.toISOString() ?? null,
    completedAt: completedAt.toISOString(),
    slot: backup.slot?.toISOString() ?? null,
    toolVersion: backup.toolVersion,
    ...(backup.codeVersion !== null && { codeVersion: backup.codeVersion }),
    encryption: 'age-v1',
    objects: backup.storedParts.map((part) => ({
      kind: part.kind,
      key: part.key,
      file: part.key.slice(part.key.lastIndexOf('/') + 1),
      format:
        part.kind === 'db' ? 'pg_dump --format=custom, age-encrypted' : 'tar with manifest.json last, age-encrypted',
      sizeBytes: part.sizeBytes,
      sha256: part.sha256,
      storedSizeBytes: part.storedSizeBytes,
      storedSha256: part.storedSha256,
      ...(part.tablesWithoutRows !== undefined && { tablesWithoutRows: part.tablesWithoutRows }),
      ...(part.tableRows !== undefined && { tableRows: part.tableRows }),
    })),
  };
}

/** Reads a backup.json back into a completed backup, or throws `bad-metadata` naming what is wrong. */
export function parseBackupMetadata(text: string, origin: string): Backup {
  let data: BackupMetadata;
  try {
    data = JSON.parse(text) as BackupMetadata;
  } catch (error) {
    throw new BackstopError('bad-metadata', `${origin} is not valid JSON`, { cause: error });
  }
  const problems: string[] = [];
  if (data.format !== 'backstop-backup/1') problems.push(`unknown format ${JSON.stringify(data.format)}`);
  for (const field of ['id', 'app', 'env', 'trigger', 'parts', 'createdAt', 'completedAt'] as const) {
    if (typeof data[field] !== 'string') problems.push(`missing ${field}`);
  }
  if (!Array.isArray(data.objects) || data.objects.length === 0) problems.push('no objects');
  if (problems.length > 0) throw new BackstopError('bad-metadata', `${origin}: ${problems.join(', ')}`);
  return {
    id: data.id,
    app: data.app,
    env: data.env,
    trigger: data.trigger,
    status: 'completed',
    parts: data.parts,
    note: data.note ?? null,
    requestedBy: data.requestedBy ?? null,
    createdAt: new Date(data.createdAt),
    startedAt: data.startedAt ? new Date(data.startedAt) : null,
    completedAt: new Date(data.completedAt),
    error: null,
    pinned: false,
    toolVersion: data.toolVersion ?? 'unknown',
    codeVersion: typeof data.codeVersion === 'string' ? data.codeVersion : null,
    verifiedAt: null,
    verifyError: null,
    provenAt: null,
    proofSeconds: null,
    proofError: null,
    slot: typeof data.slot === 'string' ? new Date(data.slot) : null,
    storedParts: data.objects.map((o) => ({
      kind: o.kind,
      key: o.key,
      sizeBytes: o.sizeBytes,
      sha256: o.sha256,
      storedSizeBytes: o.storedSizeBytes,
      storedSha256: o.storedSha256,
      ...(Array.isArray(o.tablesWithoutRows) && { tablesWithoutRows: o.tablesWithoutRows.map(String) }),
      ...(isRowCounts(o.tableRows) && { tableRows: o.tableRows }),
    })),
  };
}

function isRowCounts(value: unknown): value is Record<string, number> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((count) => Number.isSafeInteger(count) && (count as number) >= 0)
  );
}
