import type { SQLInputValue } from 'node:sqlite';

/**
 * How the embedded SQLite state keeps the values the shared PostgreSQL state has types for. SQLite has no date or
 * boolean type, so a date is stored as UTC ISO text of fixed width (`2026-12-05T10:25:50.123Z`: text order is time
 * order, so comparisons and `order by` work unchanged) and a boolean as 0 or 1. Reading back, the columns the state
 * declares as timestamptz or boolean in PostgreSQL (listed here; a test compares the lists with the PostgreSQL
 * schema) become `Date`s and booleans again, so the code above the state sees the same values from either database.
 */

/** Every timestamptz column of the state, by name. */
export const TIMESTAMP_COLUMNS: ReadonlySet<string> = new Set([
  'at',
  'completed_at',
  'created_at',
  'decided_at',
  'delivered_at',
  'ended_at',
  'expires_at',
  'finished_at',
  'first_seen_at',
  'last_used_at',
  'lease_expires_at',
  'proven_at',
  'ready_at',
  'revoked_at',
  'run_after',
  'slot',
  'started_at',
  'updated_at',
  'used_at',
  'verified_at',
]);

/** Every boolean column of the state, by name. */
export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(['config_holder', 'pinned', 'post_cards', 'safety_backup']);

/** A query parameter as SQLite can bind it (anything else is refused by SQLite with the value's type). */
export function toStoredValue(value: unknown): SQLInputValue {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === undefined) return null;
  return value as SQLInputValue;
}

/** A value read from `column`, as the PostgreSQL state would give it. */
export function fromStoredValue(column: string, value: unknown): unknown {
  if (value === null) return value;
  if (typeof value === 'string' && TIMESTAMP_COLUMNS.has(column)) return new Date(value);
  if (typeof value === 'number' && BOOLEAN_COLUMNS.has(column)) return value !== 0;
  return value;
}
