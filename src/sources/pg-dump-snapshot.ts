import type pg from 'pg';
import type { PgConnection } from './pg-connection.ts';
import { tablesMatchingQuery } from './pg-table-patterns.ts';

/** What a database part holds, as of the dump's own snapshot. */
export interface DumpContents {
  /**
   * Every table whose rows the dump holds or leaves out (`schema.table`, in name order), with its exact row count; a
   * materialized view whose data is left out counts too, as 0.
   */
  tableRows: Record<string, number>;
  /** The tables kept without their rows (`excludeTableData`); their count in `tableRows` is 0, as a restore has. */
  tablesWithoutRows: string[];
  /** The `excludeTableData` patterns that matched no table (a misspelt name, most likely). */
  unmatchedPatterns: string[];
}

/**
 * The tables whose rows pg_dump dumps: ordinary tables (a partitioned table's rows are its partitions'), outside the
 * system schemas and other sessions' temporary ones, not an extension's own (CREATE EXTENSION makes those and their
 * rows at the restore, whatever the dump holds). Unlogged tables are dumped with their rows, as pg_dump does.
 */
export const DUMPED_TABLES_QUERY = `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY n.nspname, c.relname`;

/**
 * A snapshot of the database exported for pg_dump (`pg_dump --snapshot`), held by a read-only repeatable-read
 * transaction of Backstop's own, in which each table's rows are counted: the counts are exactly what the dump holds,
 * however the database changes meanwhile. The transaction must stay open until pg_dump has imported the snapshot, so
 * it is closed only once pg_dump has exited (`close`), whatever happened.
 */
export class DumpSnapshot {
  private constructor(
    private readonly client: pg.Client,
    readonly id: string,
  ) {}

  /**
   * Opens the transaction and exports its snapshot. Counting waits for a table's lock no longer than pg_dump does
   * (`lockTimeoutMs`), and a server of PostgreSQL 14 or newer stops counting soon after the connection is closed.
   */
  static async export(connection: PgConnection, lockTimeoutMs: number): Promise<DumpSnapshot> {
    const client = await connection.connect();
    // A connection lost (the server restarted, an administrator ended it) fails the query under way, which fails the
    // backup; the client's own error event must not end the process.
    client.on('error', () => undefined);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}`);
      if (Number((await client.query<{ v: string }>('SHOW server_version_num')).rows[0]!.v) >= 140000)
        await client.query(`SET LOCAL client_connection_check_interval = 1000`);
      const { rows } = await client.query<{ id: string }>('SELECT pg_catalog.pg_export_snapshot() AS id');
      return new DumpSnapshot(client, rows[0]!.id);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Counts every table's rows in the snapshot; the tables `excludeTableData` matches count 0 (the dump holds none of
   * their rows) and are not read. One table at a time, on this one connection, beside pg_dump's.
   */
  async contents(excludeTableData: readonly string[]): Promise<DumpContents> {
    const tables = (await this.client.query<{ name: string }>(DUMPED_TABLES_QUERY)).rows.map((row) => row.name);
    const withoutRows = new Set<string>();
    const unmatchedPatterns: string[] = [];
    for (const pattern of excludeTableData) {
      const { rows } = await this.client.query<{ name: string }>(tablesMatchingQuery([pattern]));
      if (rows.length === 0) unmatchedPatterns.push(pattern);
      for (const row of rows) withoutRows.add(row.name);
    }
    const excluded = [...withoutRows].sort();
    const tableRows: Record<string, number> = {};
    for (const table of [...tables, ...excluded].sort()) {
      if (withoutRows.has(table)) {
        tableRows[table] = 0;
        continue;
      }
      // The name comes from format('%I.%I'), quoted as SQL needs.
      const { rows } = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      tableRows[table] = Number(rows[0]!.n);
    }
    return { tableRows, tablesWithoutRows: excluded, unmatchedPatterns };
  }

  /**
   * Ends the connection, and with it the read-only transaction, without waiting for a count still running (the dump
   * failed or was stopped). Never throws: the dump's outcome is what counts.
   */
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
