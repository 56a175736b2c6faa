/**
 * Times as a person at a terminal reads them: "just now", "25 min ago", "2 h ago", "in 5 h" within a day of `now`,
 * and dates in the reader's zone. `timeZone` undefined is the process's own zone.
 */

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/**
 * "just now", "3 min ago", "2 h ago", "in 40 s", "in 40 min", "in 5 h", or undefined when `at` is a day or more
 * away. A moment to come within the minute is counted in seconds: "just now" would read as already past.
 */
export function relativeTime(at: Date, now: Date): string | undefined {
  const delta = at.getTime() - now.getTime();
  const distance = Math.abs(delta);
  if (distance >= day) return undefined;
  if (distance < minute) return delta > 1000 ? `in ${Math.ceil(delta / 1000)} s` : 'just now';
  const amount = distance < hour ? `${Math.floor(distance / minute)} min` : `${Math.floor(distance / hour)} h`;
  return delta < 0 ? `${amount} ago` : `in ${amount}`;
}

/** "2026-12-05 19:29" in the zone. */
export function localDateTime(at: Date, timeZone: string | undefined): string {
  const parts = partsOf(at, timeZone);
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}`;
}

/** For a table cell: relative within a day ("2 h ago"), else the local date and time ("2026-12-03 02:00"). */
export function compactTime(at: Date, now: Date, timeZone: string | undefined): string {
  return relativeTime(at, now) ?? localDateTime(at, timeZone);
}

/** In a sentence or a field: "2026-12-05 19:29:03 CET (2 h ago)", the zone named, relative within a day. */
export function fullTime(at: Date, now: Date, timeZone: string | undefined): string {
  const parts = partsOf(at, timeZone);
  const local = `${localDateTime(at, timeZone)}:${parts['second']} ${parts['timeZoneName']}`;
  const relative = relativeTime(at, now);
  return relative === undefined ? local : `${local} (${relative})`;
}

function partsOf(at: Date, timeZone: string | undefined): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-GB', {
    ...(timeZone !== undefined && { timeZone }),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
}
