import cronParser from 'cron-parser';

const fiveFields = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;

/** What each field takes, as a person writes it. */
const fieldValues: Record<string, string> = {
  second: 'a second is 0-59',
  minute: 'a minute is 0-59',
  hour: 'an hour is 0-23',
  'day of month': 'a day of month is 1-31',
  month: 'a month is 1-12 or JAN-DEC',
  'day of week': 'a day of week is 0-7 or SUN-SAT (0 and 7 are Sunday)',
};

/**
 * What is wrong with a cron expression, naming the field (minute, hour, day of month, month, day of week; a sixth
 * field first is the second), or undefined when it is right. Each field is checked alone, the others set to `*`, so
 * the one at fault is named even when cron-parser's own message would not say which it is.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `write a cron expression of 5 fields (minute hour day month weekday), e.g. "0 2 * * *", or 6 with seconds first`;
  }
  if (parses(fields)) return undefined;
  const names: readonly string[] = fields.length === 6 ? ['second', ...fiveFields] : fiveFields;
  for (const [i, field] of fields.entries()) {
    if (parses(fields.map((other, j) => (j === i ? other : '*')))) continue;
    return (
      `the ${names[i]} field of the cron expression is '${field}': ${fieldValues[names[i]!]}, ` +
      'or a range (1-5), a list (1,3) or a step (*/2) of those'
    );
  }
  // Every field is right alone: together they name a day that never comes (31 2 is February 31st).
  return `the day of month and month fields of the cron expression never meet ('${fields.at(-3)} ${fields.at(-2)}'): choose a day that month has`;
}

function parses(fields: readonly string[]): boolean {
  try {
    cronParser.parseExpression(fields.join(' '));
    return true;
  } catch {
    return false;
  }
}
