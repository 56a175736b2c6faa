import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  DeleteQueryNode,
  type Dialect,
  type Driver,
  InsertQueryNode,
  type Kysely,
  type QueryResult,
  type SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  UpdateQueryNode,
} from 'kysely';
import { fromStoredValue, toStoredValue } from './sqlite-values.ts';

/**
 * A kysely dialect for the embedded state: SQLite through Node's built-in `node:sqlite` (no native build, nothing
 * to download). One connection serves the process, handed to one user at a time: a transaction holds it from BEGIN
 * to COMMIT, so concurrent transactions are serialised rather than interleaved in one session (which would let one
 * transaction's rollback undo another's work). That also makes every transaction exclusive, which is why row locks
 * (`for update`, `skip locked`) are left out of the SQL: there is no other session to lock against.
 *
 * Values cross as the shared state's code expects them from PostgreSQL: dates are stored as fixed-width UTC ISO
 * text (so they compare and sort as text) and read back as `Date`s, booleans as 0/1 and read back as booleans (see
 * sqlite-values.ts).
 */
export class SqliteStateDialect implements Dialect {
  constructor(private readonly open: () => DatabaseSync) {}

  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new SqliteStateDriver(this.open);
  }
  createQueryCompiler() {
    return new UnlockedSqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

/** SQLite's compiler, leaving out row-locking clauses (see the dialect's comment for why that is safe here). */
class UnlockedSqliteQueryCompiler extends SqliteQueryCompiler {
  protected override visitSelectQuery(node: SelectQueryNode): void {
    super.visitSelectQuery(node.endModifiers === undefined ? node : { ...node, endModifiers: undefined });
  }
}

class SqliteStateDriver implements Driver {
  private database: DatabaseSync | undefined;
  private connection: SqliteStateConnection | undefined;
  /** Resolves when the connection is free; each acquirer chains onto the previous holder's release. */
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly open: () => DatabaseSync) {}

  async init(): Promise<void> {
    this.database = this.open();
    this.connection = new SqliteStateConnection(this.database);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.release = release;
    return this.connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // IMMEDIATE: the write lock is taken now, not at the first write, so a transaction never fails halfway for it.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
  async destroy(): Promise<void> {
    this.database?.close();
    this.database = undefined;
  }
}

/** How many prepared statements a connection keeps: the state's queries are a few hundred distinct texts at most. */
const STATEMENT_CACHE_SIZE = 500;

class SqliteStateConnection implements DatabaseConnection {
  private readonly statements = new Map<string, StatementSync>();

  constructor(private readonly database: DatabaseSync) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters.map(toStoredValue);
    const query = compiledQuery.query;
    const changes = InsertQueryNode.is(query) || UpdateQueryNode.is(query) || DeleteQueryNode.is(query);
    const returns = !changes || (query as { returning?: unknown }).returning !== undefined;
    if (!returns) {
      const result = statement.run(...parameters);
      return { rows: [], numAffectedRows: BigInt(result.changes) };
    }
    const rows = statement.all(...parameters).map((row) => fromStoredRow(row) as R);
    return changes ? { rows, numAffectedRows: BigInt(rows.length) } : { rows };
  }

  // biome-ignore lint/correctness/useYield: the state never streams; say so instead of buffering silently.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the embedded state does not stream queries');
  }

  private prepare(text: string): StatementSync {
    const cached = this.statements.get(text);
    if (cached) return cached;
    const statement = this.database.prepare(text);
    if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
    this.statements.set(text, statement);
    return statement;
  }
}

function fromStoredRow(row: Record<string, unknown>): Record<string, unknown> {
  const converted: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) converted[column] = fromStoredValue(column, value);
  return converted;
}
