import { BackstopError } from '../domain/backstop-error.ts';
import type { RetentionPolicy } from '../domain/retention-policy.ts';
import { closestWord } from '../text/closest-word.ts';
import { defaultRetentionPolicy } from './retention-policy.ts';

const form = 'daily=7,weekly=4,monthly=12[,keepLast=3,maxAgeDays=30]';
const names = ['daily', 'weekly', 'monthly', 'keepLast', 'maxAgeDays'] as const;
const required = ['daily', 'weekly', 'monthly'] as const;
type Name = (typeof names)[number];

/**
 * Parses a policy written `daily=7,weekly=4,monthly=12[,keepLast=3,maxAgeDays=30]` (any order, each setting once,
 * whole numbers, 0 switches a tier off). What the text leaves out (keepLast, maxAgeDays, the time zone) comes from
 * `base`. Throws a BackstopError `bad-policy` naming the bad part and showing the expected form.
 */
export function parseRetentionPolicy(text: string, base: RetentionPolicy = defaultRetentionPolicy): RetentionPolicy {
  if (text.trim() === '') throw badPolicy('it is empty');
  const values = new Map<Name, number>();
  for (const part of text.split(',').map((part) => part.trim())) {
    const [name = '', value, ...rest] = part.split('=');
    if (part === '') throw badPolicy('an empty part (a comma too many?)');
    if (value === undefined || rest.length > 0) throw badPolicy(`'${part}' is not name=number`);
    if (!isName(name)) {
      const suggestion = closestWord(name, names);
      throw badPolicy(`unknown setting '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`);
    }
    if (values.has(name)) throw badPolicy(`${name} is given twice`);
    const count = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(count))
      throw badPolicy(`'${part}': ${name} needs a whole number (0 or more)`);
    values.set(name, count);
  }
  const missing = required.filter((name) => !values.has(name));
  if (missing.length > 0) throw badPolicy(`missing ${missing.map((name) => `${name}=<n>`).join(', ')}`);
  const setting = (name: Name, fallback: number) => values.get(name) ?? fallback;
  return {
    onDemand: {
      keepLast: setting('keepLast', base.onDemand.keepLast),
      maxAgeDays: setting('maxAgeDays', base.onDemand.maxAgeDays),
    },
    scheduled: {
      daily: setting('daily', base.scheduled.daily),
      weekly: setting('weekly', base.scheduled.weekly),
      monthly: setting('monthly', base.scheduled.monthly),
    },
    timezone: base.timezone,
  };
}

function isName(name: string): name is Name {
  return (names as readonly string[]).includes(name);
}

function badPolicy(problem: string): BackstopError {
  const message = `bad retention policy: ${problem}; expected ${form}`;
  return new BackstopError('bad-policy', message, { userMessage: message });
}
