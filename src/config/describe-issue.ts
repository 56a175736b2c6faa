import type { z } from 'zod';
import { closestWord } from '../text/closest-word.ts';
import { configSchema } from './config-schema.ts';

/** Where a config problem is: the file and the line of a path in it. */
export interface IssueSite {
  file: string;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * Turns one zod issue into `file:line path: what is wrong and what to write`, naming the shape expected rather than
 * zod's "Invalid input": a mapping and its keys, a list, a number, one of the values allowed. A union (a schedule is
 * `{ cron, timezone, parts }` or `off`) is described by the problems of the form the value was written in, when it
 * is one of them, else by the union's own message. Messages never echo a value: it may be a secret (a database URL
 * with its password); they say only what kind of value was found.
 */
export function describeIssue(issue: z.core.$ZodIssue, site: IssueSite, base: readonly PropertyKey[] = []): string[] {
  const path = [...base, ...issue.path];
  const line = site.lineOf(path);
  const where = `${site.file}${line ? `:${line}` : ''}: ${formatPath(path) || '(top level)'}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(path);
      const hints = issue.keys.map((key) => {
        const suggestion = closestWord(key, known);
        return suggestion ? `'${key}' (did you mean '${suggestion}'?)` : `'${key}'`;
      });
      const keyLine = site.lineOf([...path, issue.keys[0]!]);
      return [
        `${site.file}${keyLine ? `:${keyLine}` : ''}: ${formatPath(path) || '(top level)'}: unknown key ${hints.join(', ')}; known keys here: ${known.join(', ')}`,
      ];
    }
    case 'invalid_union': {
      // The form the value was written in is the branch whose problems are inside the value, not its kind.
      const matched = issue.errors.filter((branch) => branch.some((inner) => !isKindMismatch(inner)));
      if (matched.length === 1) return matched[0]!.flatMap((inner) => describeIssue(inner, site, path));
      return [`${where}: ${issue.message}${found(issue.input)}`];
    }
    case 'invalid_type':
      if (issue.input === undefined) return [`${where}: is required (${expectedShape(issue.expected, path)})`];
      return [`${where}: ${expectedShape(issue.expected, path)}${found(issue.input)}`];
    case 'invalid_value':
      return [
        `${where}: write ${issue.values.length === 1 ? String(issue.values[0]) : `one of: ${issue.values.map(String).join(', ')}`}${found(issue.input)}`,
      ];
    case 'invalid_format':
      return [`${where}: ${issue.format === 'url' ? 'write a URL, e.g. https://backstop.example.com' : issue.message}`];
    case 'invalid_key':
      return [`${where}: this name is not allowed: ${issue.issues[0]?.message ?? issue.message}`];
    default:
      return [`${where}: ${issue.message}`];
  }
}

/** A value of the wrong kind altogether (a string where a mapping goes), as opposed to a problem inside it. */
function isKindMismatch(issue: z.core.$ZodIssue): boolean {
  return issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
}

/** What to write where a value of kind `expected` goes. */
function expectedShape(expected: string, path: readonly PropertyKey[]): string {
  switch (expected) {
    case 'object': {
      const keys = knownKeysAt(path);
      return keys.length > 0 ? `write a mapping with keys such as ${keys.join(', ')}` : 'write a mapping';
    }
    case 'record':
      return 'write a mapping of names to their settings, e.g. { live: { ... } }';
    case 'array':
      return 'write a list, e.g. [a, b]';
    case 'number':
      return 'write a number';
    case 'int':
      return 'write a whole number';
    case 'boolean':
      return 'write true or false';
    case 'string':
      return 'write text (in quotes if it could be read as a number or true/false)';
    default:
      return `write a ${expected}`;
  }
}

/** " (found a string)": the kind of value written, never the value. */
function found(input: unknown): string {
  if (input === undefined) return '';
  const kind =
    input === null
      ? 'nothing'
      : Array.isArray(input)
        ? 'a list'
        : typeof input === 'object'
          ? 'a mapping'
          : typeof input === 'boolean'
            ? `${input}`
            : `a ${typeof input}`;
  return ` (found ${kind})`;
}

/** The keys the schema accepts at an object path, for "did you mean" hints and shapes. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = configSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = (
      schema as { def?: { type?: string; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown } }
    ).def;
    if (def?.type === 'object' && def.shape && typeof segment === 'string') schema = def.shape[segment];
    else if (def?.type === 'record') schema = def.valueType;
    else if (def?.type === 'array') schema = def.element;
    else return [];
  }
  const def = (unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; options?: unknown[] } };
  for (;;) {
    const def = current?.def;
    if (!def) return current;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') {
      current = def.innerType as typeof current;
    } else if (def.type === 'pipe') {
      current = def.in as typeof current;
    } else if (def.type === 'union' && def.options) {
      current = (def.options.find((o) => (o as typeof current).def?.type === 'object') ??
        def.options[0]) as typeof current;
    } else return current;
  }
}

/** `apps.shop.environments.live`, `webhooks[0].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : String(segment)))
    .join('.')
    .replace(/\.\[/g, '[');
}
