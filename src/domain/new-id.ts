import { randomInt } from 'node:crypto';

// No 0/o, 1/l/i: ids are read aloud and typed into chat ("/backup restore 7k3qx2").
const alphabet = '23456789abcdefghjkmnpqrstuvwxyz';

/** A short random id such as `7k3qx2` (31^6, about 900 million values; callers retry on a clash). */
export function newId(length = 6): string {
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}
