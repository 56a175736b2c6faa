/**
 * pg_dump's table patterns (`--exclude-table-data=PATTERN`) as SQL, so that Backstop can say which tables a backup
 * left the rows of, resolved exactly as pg_dump resolves them (psql's pattern rules, documented under "Patterns" in
 * psql's manual): outside double quotes letters are folded to lower case, `*` matches any text, `?` one character, a
 * `.` separates schema from table, `$` is literal and other regular-expression characters keep their meaning; inside
 * double quotes every character is literal (`""` is one quote). A pattern without a schema matches the tables visible
 * in the search path (`public` by default); the whole name must match.
 */

/** The two halves of a pattern as anchored regular expressions (POSIX, as PostgreSQL's `~` reads them). */
export interface TablePatternRegex {
  schema: string | undefined;
  table: string;
}

/** Regular-expression characters that must be escaped to stand for themselves. */
const REGEX_SPECIAL = '|*+?()[]{}.^$\\';

/** Translates one pattern; throws on one with more than one unquoted `.` (a database name is not accepted). */
export function tablePatternRegex(pattern: string): TablePatternRegex {
  const halves: string[] = [''];
  let quoted = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    const last = halves.length - 1;
    if (char === '"') {
      if (quoted && pattern[i + 1] === '"') {
        halves[last] += '"';
        i++;
      } else quoted = !quoted;
    } else if (quoted) halves[last] += REGEX_SPECIAL.includes(char) ? `\\${char}` : char;
    else if (char === '.') halves.push('');
    else if (char === '*') halves[last] += '.*';
    else if (char === '?') halves[last] += '.';
    else if (char === '$') halves[last] += '\\$';
    else halves[last] += char.toLowerCase();
  }
  if (halves.length > 2) {
    throw new Error(`the table pattern ${JSON.stringify(pattern)} has more than one "." (write schema.table)`);
  }
  const anchored = (half: string) => `^(${half})$`;
  return halves.length === 2
    ? { schema: anchored(halves[0]!), table: anchored(halves[1]!) }
    : { schema: undefined, table: anchored(halves[0]!) };
}

/** Whether a pattern is one pg_dump accepts as a table pattern (at most one unquoted `.`). */
export function tablePatternProblem(pattern: string): string | undefined {
  try {
    tablePatternRegex(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
