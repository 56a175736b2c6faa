import type { Backup } from '../domain/backup.ts';
import type { PartKind } from '../domain/part-kind.ts';
import type { Principal } from '../domain/principal.ts';
import {
  type MetadataVerification,
  type PartVerification,
  type PlaintextCheck,
  verifyBackup,
} from '../engine/verify-backup.ts';
import type { ProgressListener } from '../sources/source.ts';
import { audited } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/**
 * Reads a backup's objects back and checks them (operator role on its app); the outcome is recorded on the backup.
 * A verification that finds a problem is a result (`ok: false` on a part), audited as failed.
 */
export async function verifyStoredBackup(
  ctx: UseCaseContext,
  principal: Principal,
  id: string,
  options: { checks: Partial<Record<PartKind, PlaintextCheck>>; onProgress?: ProgressListener },
): Promise<{ backup: Backup; parts: PartVerification[]; metadata: MetadataVerification }> {
  return audited(ctx, principal, `verify ${id}`, async (scope) => {
    const backup = await ctx.catalog.getBackup(id);
    scope.authorize('backup.verify', backup.app);
    const result = await verifyBackup(
      ctx,
      id,
      options.checks,
      options.onProgress ? { onProgress: options.onProgress } : {},
    );
    const failed = [...result.parts, { kind: 'backup.json', ...result.metadata }].filter((part) => !part.ok);
    if (failed.length > 0) {
      scope.outcome = 'failed';
      scope.detail = failed.map((p) => `${p.kind}: ${p.problem}`).join('; ');
    }
    return result;
  });
}
