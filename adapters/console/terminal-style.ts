/** How the terminal writes a reply: in colour or not, the moment "2 h ago" counts from, and the reader's time zone. */
export interface TerminalStyle {
  colour: boolean;
  now: Date;
  /** An IANA zone; undefined: the process's own zone. */
  timeZone: string | undefined;
}

/**
 * Whether to write colour to `stream`, by the common conventions: never with --no-color; `FORCE_COLOR` set to
 * anything but `0` or `false` forces it (as Node and most tools read it, it wins over `NO_COLOR`); `NO_COLOR` set and
 * not empty (no-color.org) or `TERM=dumb` turns it off; otherwise colour on a terminal only, never into a pipe or file.
 */
export function colourWanted(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  noColorFlag: boolean,
): boolean {
  if (noColorFlag) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/** The reader's time zone from `TZ` when it names an IANA zone (`Europe/Zurich`), else undefined (the system's). */
export function timeZoneOf(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const zone = env['TZ']?.replace(/^:/, '');
  if (zone === undefined || zone === '') return undefined;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return zone;
  } catch {
    return undefined; // a POSIX rule (EST5EDT) or a path: the process's own zone already follows it
  }
}

const codes = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] } as const;

/** `text` in an ANSI style when colour is on, else as it is. */
export function paint(text: string, style: keyof typeof codes, colour: boolean): string {
  if (!colour || text === '') return text;
  const [on, off] = codes[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}
