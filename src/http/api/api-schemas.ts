import { z } from 'zod';
import { idShapeHint, isWellFormedId } from '../../domain/new-id.ts';
import { partKinds } from '../../domain/parts.ts';
import { pageQuery } from './pagination.ts';

// The schemas that validate the API's requests; the OpenAPI document is generated from these same schemas.

// PostgreSQL text cannot hold a NUL byte: a string with one would fail the query it reaches, so it is refused here.
const text = z.string().refine((value) => !value.includes('\0'), { message: 'must not contain NUL characters' });
const name = text.min(1).max(100);
const id = z.string().refine(isWellFormedId, { message: `malformed id: ${idShapeHint}` });
const parts = z.string().refine(
  (value) => {
    try {
      partKinds(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'parts must be db, media or db+media' },
);

export const createBackupBody = z.strictObject({
  app: name,
  env: name,
  parts: parts.optional(),
  note: text.max(500).optional(),
});

export const listBackupsQuery = z.strictObject({
  app: name.optional(),
  env: name.optional(),
  trigger: z.enum(['scheduled', 'on-demand']).optional(),
  ...pageQuery,
});

export const createRestoreBody = z.strictObject({
  backupId: id,
  parts: parts.optional(),
  to: z.strictObject({ app: name, env: name }).optional(),
  safetyBackup: z.boolean().default(true),
});

export const createDownloadBody = z.strictObject({
  backupId: id,
  parts: parts.optional(),
  email: z.email().optional(),
});

/** A drill of a target's newest completed backup (a backup by its id: POST /backups/<id>/drill). */
export const createDrillBody = z.strictObject({ app: name, env: name });

export const listOperationsQuery = z.strictObject({
  state: z.enum(['active', 'finished', 'all']).default('all'),
  ...pageQuery,
});

export const listRestoreRequestsQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'withdrawn']).optional(),
  ...pageQuery,
});

export const listSchedulesQuery = z.strictObject({ app: name.optional(), env: name.optional() });

export const listAuditQuery = z.strictObject({ app: name.optional(), ...pageQuery });

/** A restore described before it is asked for: the same fields as a restore, in the query. */
export const previewRestoreQuery = z.strictObject({
  backupId: id,
  parts: parts.optional(),
  toApp: name.optional(),
  toEnv: name.optional(),
  safetyBackup: z.enum(['true', 'false']).default('true'),
});
