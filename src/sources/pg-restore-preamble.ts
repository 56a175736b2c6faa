/**
 * The SQL psql runs before the dump's own, in the same transaction, to make the destination exactly the dump:
 *
 * - `lock_timeout`: dropping a table waits for every session that holds a lock on it (an open transaction that
 *   read it is enough). Rather than hang behind a forgotten session, the restore fails after this long, changing
 *   nothing. The dump's own `SET lock_timeout = 0` follows; by then everything it touches is new and ours.
 * - `client_min_messages`: silences the NOTICE per object dropped and pg_restore's "there is already a transaction
 *   in progress" WARNING, so that psql's stderr keeps room for the error that matters. The dump resets it.
 * - Every non-system schema is dropped, with everything in it (extensions included); system schemas all start with
 *   `pg_`, a prefix users cannot give a schema, or are `information_schema`. Schemas are listed and dropped in one
 *   server-side statement within the transaction, so none created meanwhile escapes, and `format('%I')` quotes
 *   the names. Large objects live outside schemas and are unlinked too.
 * - `public` is recreated as initdb creates it (pg_dump assumes it exists and does not dump it), so the
 *   destination's roles keep their rights on it: owned by pg_database_owner since PostgreSQL 15, with CREATE for
 *   everyone before 15.
 */
export function restorePreamble(lockTimeoutMs: number): string {
  return `BEGIN;
SET LOCAL lock_timeout = ${Math.round(lockTimeoutMs)};
SET LOCAL client_min_messages = error;
DO $backstop$
DECLARE
  schemas text;
BEGIN
  SELECT pg_catalog.string_agg(pg_catalog.format('%I', nspname), ', ') INTO schemas
    FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema';
  IF schemas IS NOT NULL THEN
    EXECUTE 'DROP SCHEMA ' || schemas || ' CASCADE';
  END IF;
  PERFORM pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata;
  IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
    CREATE SCHEMA public AUTHORIZATION pg_database_owner;
    GRANT USAGE ON SCHEMA public TO PUBLIC;
  ELSE
    CREATE SCHEMA public;
    GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;
  END IF;
  COMMENT ON SCHEMA public IS 'standard public schema';
END
$backstop$;
`;
}
