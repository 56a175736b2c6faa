import type { Backup } from '../domain/backup.ts';
import type { Target } from '../domain/target.ts';
import { planRetention } from '../retention/plan-retention.ts';
import type { RetentionDecision } from '../retention/retention-decision.ts';
import { defaultRetentionPolicy } from '../retention/retention-policy.ts';
import type { EngineContext } from './engine-context.ts';

/** More backups than one target will ever hold between two prunes; retention must see all of them. */
const ALL = 1_000_000;

/**
 * The retention decision for every backup of the targets named by `backups` (each target planned over ALL its
 * backups, whatever subset was listed), with the target's configured policy, or the defaults for a target that is
 * no longer configured.
 */
export async function planBackupsRetention(
  ctx: EngineContext,
  backups: readonly Pick<Backup, 'app' | 'env'>[],
  now: Date,
): Promise<Map<string, RetentionDecision>> {
  const decisions = new Map<string, RetentionDecision>();
  const targets = new Set(backups.map((b) => `${b.app}/${b.env}`));
  for (const name of targets) {
    const [app, env] = name.split('/') as [string, string];
    const target = ctx.targets.find((t) => t.app === app && t.env === env);
    const { decisions: planned } = await planTarget(ctx, { app, env, target }, now);
    for (const decision of planned) decisions.set(decision.id, decision);
  }
  return decisions;
}

/** Every backup of one target, newest first, with its retention decision at the same index. */
export async function planTarget(
  ctx: EngineContext,
  which: { app: string; env: string; target: Target | undefined },
  now: Date,
): Promise<{ backups: Backup[]; decisions: RetentionDecision[] }> {
  const backups = await ctx.catalog.listBackups({ app: which.app, env: which.env, limit: ALL });
  const decisions = planRetention(backups, which.target?.retention ?? defaultRetentionPolicy, now);
  return { backups, decisions };
}
