import { readFileSync } from 'node:fs';

/** Backstop's version, recorded in every backup.json so a reader knows which version wrote it. */
export const toolVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
