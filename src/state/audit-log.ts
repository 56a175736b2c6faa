import type { Selectable } from 'kysely';
import type { AuditEntry } from '../domain/audit-entry.ts';
import type { StateDb } from './state.ts';
import { containsText } from './state-dialect.ts';
import type { AuditLogTable } from './tables.ts';

/** The audit log: every chat command, click and decision, with its outcome. Append-only. */
export class AuditLog {
  constructor(private readonly db: StateDb) {}

  /**
   * Appends an entry. Its text is what people sent (a button's value, a command's words), which may hold NUL bytes:
   * PostgreSQL text cannot, and the insert would fail, losing the entry of exactly the odd request worth keeping. They
   * are written as U+FFFD.
   */
  async record(entry: Omit<AuditEntry, 'id' | 'at'>, at: Date): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at,
        principal: storable(entry.principal),
        app: entry.app === null ? null : storable(entry.app),
        action: storable(entry.action),
        outcome: entry.outcome,
        detail: entry.detail === null ? null : storable(entry.detail),
      })
      .execute();
  }

  /** Newest first, optionally of one app. */
  /** Entries newest first, at most `limit` (100 by default); with `beforeId`, only those older than that entry. */
  async list(
    filter: { app?: string; limit?: number; beforeId?: string; mentioning?: string } = {},
  ): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (filter.app !== undefined) query = query.where('app', '=', filter.app);
    // An id (letters and digits only) in what was asked or what came of it, in its own case.
    const id = filter.mentioning;
    if (id !== undefined && /^[a-z0-9]+$/.test(id)) {
      query = query.where((eb) => eb.or([containsText(this.db, 'action', id), containsText(this.db, 'detail', id)]));
    }
    if (filter.beforeId !== undefined && /^\d{1,18}$/.test(filter.beforeId)) {
      query = query.where('id', '<', filter.beforeId);
    }
    const rows = await query
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toEntry);
  }
}

function storable(text: string): string {
  return text.replaceAll('\0', '\uFFFD');
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
