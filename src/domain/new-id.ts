import { randomInt } from 'node:crypto';

// No 0/o, 1/l/i: ids are read aloud and typed into chat ("/backup restore 7k3qx2").
const alphabet = '23456789abcdefghjkmnpqrstuvwxyz';

/** A short random id such as `7k3qx2` (31^6, about 900 million values; callers retry on a clash). */
export function newId(length = 6): string {
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/**
 * The longest id Backstop makes, with room to spare: backups, restores, operations, downloads and restore requests
 * are 6 characters, tokens 8, webhook deliveries 12.
 */
export const maxIdLength = 32;

// Wider than newId's alphabet: a mistyped id (an o for a 0) is then answered "no such backup", which is what it is.
const idShape = new RegExp(`^[a-z0-9]{1,${maxIdLength}}$`);
/** The shape of an id as a regular expression's source, for schemas that describe ids. */
export const idPattern = idShape.source;

/**
 * Whether `text` has the shape of an id: lowercase letters and digits, at most `maxIdLength` of them. Ids come from
 * people and from the network (an API path, a chat command, a button's value); anything else names nothing, so it is
 * refused before it reaches the state database, where a NUL byte (which PostgreSQL text cannot hold) would fail the
 * query instead of finding nothing.
 */
export function isWellFormedId(text: string): boolean {
  return idShape.test(text);
}

/**
 * `text` as a message may quote it: an id as it is; anything else in quotes, with control characters escaped and cut
 * to 40 characters, so that a NUL byte or a megabyte sent as an id reaches no message (logged, shown or audited).
 */
export function shownId(text: string): string {
  if (isWellFormedId(text)) return text;
  const cut = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return JSON.stringify(cut);
}

/** What a message says of an id that is not one: how Backstop's ids look. */
export const idShapeHint = 'Backstop ids are lowercase letters and digits, such as 7k3qx2';

/** "There is no <what> <id>." for a message; of text that cannot be an id, it also says what ids look like. */
export function noSuchId(what: string, id: string): string {
  return isWellFormedId(id) ? `There is no ${what} ${id}.` : `There is no ${what} ${shownId(id)}: ${idShapeHint}.`;
}
