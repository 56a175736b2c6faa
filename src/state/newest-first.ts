import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { ListPosition } from '../domain/list-position.ts';
import type { StateTables } from './tables.ts';

/** The tables listed newest first with ties broken by id: each has `created_at` and `id`. */
type Listed = 'backups' | 'operations' | 'restore_requests';

/**
 * The rows that come after `position` in a listing ordered `created_at desc, id`: a page's successors, found by
 * their keys (no offset, so rows added meanwhile never shift a page).
 */
export function comesAfter<T extends Listed>(
  position: ListPosition,
): (eb: ExpressionBuilder<StateTables, T>) => Expression<SqlBool> {
  return (eb) =>
    eb.or([
      eb(sql.ref('created_at'), '<', position.createdAt),
      eb.and([eb(sql.ref('created_at'), '=', position.createdAt), eb(sql.ref('id'), '>', position.id)]),
    ]);
}
