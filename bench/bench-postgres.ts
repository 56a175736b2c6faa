import pg from 'pg';

/** The benchmarks' PostgreSQL server, reached as its admin URL says: database URLs on it, and admin statements. */
export function benchPostgres(adminUrl: string) {
  return {
    /** The URL of database `name` on the server. */
    urlOf(name: string): string {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    /** Runs one statement as the admin (create or drop a database). */
    async admin(sql: string): Promise<void> {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  };
}
