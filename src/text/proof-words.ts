import { formatTime } from './format-units.ts';

/** What drills found of a backup, as the backup records it. */
export interface ProofFacts {
  provenAt: Date | null;
  proofSeconds: number | null;
  proofError: string | null;
}

/**
 * "proven restorable at 2026-12-05 10:25 UTC (in 42 s)", or "drill FAILED: table shop.orders: recorded 1201 rows,
 * found 1200" (with the earlier proof, if a drill passed before); undefined when no drill has run. `under a label`
 * (after "drill:") says "FAILED: ..." without repeating the word.
 */
export function proofWords(backup: ProofFacts, where: 'alone' | 'under a label' = 'alone'): string | undefined {
  const proven =
    backup.provenAt === null
      ? undefined
      : `proven restorable at ${formatTime(backup.provenAt)}${backup.proofSeconds === null ? '' : ` (in ${backup.proofSeconds} s)`}`;
  if (backup.proofError === null) return proven;
  return `${where === 'alone' ? 'drill ' : ''}FAILED: ${backup.proofError}${proven === undefined ? '' : ` (earlier ${proven})`}`;
}
