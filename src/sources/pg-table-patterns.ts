import { tablePatternRegex } from '../domain/pg-table-pattern.ts';

/**
 * The query listing the tables (`schema.table`, quoted where SQL needs it) whose rows `patterns` leave out: ordinary
 * and partition tables and materialized views, the relations whose data pg_dump dumps. Its parameters are the
 * patterns' regular expressions, in order.
 */
export function tablesMatchingQuery(patterns: readonly string[]): { text: string; values: string[] } {
  const values: string[] = [];
  const conditions = patterns.map((pattern) => {
    const { schema, table } = tablePatternRegex(pattern);
    values.push(table);
    const tableCondition = `c.relname OPERATOR(pg_catalog.~) $${values.length} COLLATE pg_catalog.default`;
    if (schema === undefined) return `(${tableCondition} AND pg_catalog.pg_table_is_visible(c.oid))`;
    values.push(schema);
    return `(${tableCondition} AND n.nspname OPERATOR(pg_catalog.~) $${values.length} COLLATE pg_catalog.default)`;
  });
  const text =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name FROM pg_catalog.pg_class c " +
    'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
    `WHERE c.relkind IN ('r', 'm') AND (${conditions.join(' OR ')}) ORDER BY n.nspname, c.relname`;
  return { text, values };
}
