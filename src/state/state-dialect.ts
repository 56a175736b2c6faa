import { type RawBuilder, type SqlBool, SqliteAdapter, sql } from 'kysely';

/**
 * The few places where the state's SQL differs between PostgreSQL and the embedded SQLite state. Everything else is
 * written once, with kysely's builder, and runs on both.
 */

/** A kysely instance or transaction of any schema. */
interface AnyDb {
  getExecutor(): { readonly adapter: object };
}

/** Whether `db` is the embedded SQLite state. */
export function isEmbeddedState(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/** `at` as a typed SQL value where PostgreSQL cannot infer the type (a select list, a `coalesce`). */
export function timestampValue(db: AnyDb, at: Date): RawBuilder<Date> {
  return isEmbeddedState(db) ? sql<Date>`${at}` : sql<Date>`${at}::timestamptz`;
}

/** SQLite's extended result codes for a unique or primary key that would be duplicated. */
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/**
 * Whether `error` is an insert or update refused for duplicating a unique key (PostgreSQL's SQLSTATE 23505, SQLite's
 * SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY).
 */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  return code === '23505' || errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY;
}

/**
 * Whether `column` contains `text`, case-sensitively and with no wildcards (SQLite's LIKE ignores case; PostgreSQL's
 * does not): `strpos` in PostgreSQL, `instr` in SQLite.
 */
export function containsText(db: AnyDb, column: string, text: string): RawBuilder<SqlBool> {
  const position = isEmbeddedState(db)
    ? sql`instr(${sql.ref(column)}, ${text})`
    : sql`strpos(${sql.ref(column)}, ${text})`;
  return sql<SqlBool>`${position} > 0`;
}

/**
 * The text of a top-level field of a JSON text column (`data` of an event), or null: `json_extract` in SQLite, `->>`
 * in PostgreSQL. `field` is a name written in the code, never input.
 */
export function jsonField(db: AnyDb, column: string, field: string): RawBuilder<string | null> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`not a field name: ${field}`);
  return isEmbeddedState(db)
    ? sql<string | null>`json_extract(${sql.ref(column)}, ${sql.lit(`$.${field}`)})`
    : sql<string | null>`(${sql.ref(column)}::json ->> ${sql.lit(field)})`;
}
