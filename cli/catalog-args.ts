import { parseAdminArgs } from './admin-args.ts';
import { adminFlags, adminSubcommands } from './admin-flags.ts';
import { unknownSubcommand } from './unexpected-word.ts';

export const catalogUsage =
  'backstop catalog rebuild [--trust-unsigned]   rebuild the catalogue from the backup.json files in storage (signed by your keys)';

/** What `catalog rebuild` is asked to do, or what is wrong with its words. */
export function parseCatalogArgs(args: readonly string[]): { trustUnsigned: boolean } | string {
  const [sub, ...rest] = args;
  if (sub !== 'rebuild') return unknownSubcommand('catalog', sub, adminSubcommands['catalog']!);
  const parsed = parseAdminArgs(rest, adminFlags['catalog rebuild'], { command: 'catalog rebuild' });
  return typeof parsed === 'string' ? parsed : { trustUnsigned: parsed.flag('trust-unsigned') };
}
