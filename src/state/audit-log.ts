import type { Selectable } from 'kysely';
import type { AuditEntry } from '../domain/audit-entry.ts';
import type { StateDb } from './state.ts';
import type { AuditLogTable } from './tables.ts';

/** The audit log: every chat command, click and decision, with its outcome. Append-only. */
export class AuditLog {
  constructor(private readonly db: StateDb) {}

  async record(entry: Omit<AuditEntry, 'id' | 'at'>, at: Date): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at,
        principal: entry.principal,
        app: entry.app,
        action: entry.action,
        outcome: entry.outcome,
        detail: entry.detail,
      })
      .execute();
  }

  /** Newest first, optionally of one app. */
  async list(filter: { app?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (filter.app !== undefined) query = query.where('app', '=', filter.app);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: String(row.id),
    at: row.at,
    principal: row.principal,
    app: row.app,
    action: row.action,
    outcome: row.outcome,
    detail: row.detail,
  };
}
