import { BackstopError } from '../domain/backstop-error.ts';

const dayMs = 86_400_000;

/**
 * Turns instants into calendar days of one IANA time zone, with `Intl.DateTimeFormat` as the time zone database.
 *
 * Asking Intl costs microseconds, too much for 100,000 backups (and for the simulator, which plans again after every
 * backup), so the zone's UTC offset is remembered per UTC day: when the offset is the same at the first and the last
 * second of that day, it holds for the whole day (this assumes no zone changes its offset and back again within one
 * day); on the rare day it differs (a daylight-saving change), each instant is asked exactly. Calendars are shared per
 * zone name: they only memoise the time zone database, so results never depend on what was asked before.
 */
export class ZoneCalendar {
  private static readonly byZone = new Map<string, ZoneCalendar>();

  /** The calendar of `timeZone`; a BackstopError `bad-timezone` when Intl does not know the zone. */
  static of(timeZone: string): ZoneCalendar {
    let calendar = ZoneCalendar.byZone.get(timeZone);
    if (calendar === undefined) {
      calendar = new ZoneCalendar(timeZone);
      ZoneCalendar.byZone.set(timeZone, calendar);
    }
    return calendar;
  }

  private readonly format: Intl.DateTimeFormat;
  /** Offset in ms per UTC day number; null where the offset changes during that day. */
  private readonly offsetByUtcDay = new Map<number, number | null>();

  private constructor(timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw new BackstopError(
        'bad-timezone',
        `unknown time zone '${timeZone}': use an IANA name such as Europe/Zurich or UTC`,
        { cause: error, userMessage: `unknown time zone '${timeZone}': use an IANA name such as Europe/Zurich or UTC` },
      );
    }
  }

  /** The local calendar day of the instant `ms`, as days since 1970-01-01 (negative before). */
  dayNumberOf(ms: number): number {
    return Math.floor((ms + this.offsetAt(ms)) / dayMs);
  }

  private offsetAt(ms: number): number {
    const utcDay = Math.floor(ms / dayMs);
    let offset = this.offsetByUtcDay.get(utcDay);
    if (offset === undefined) {
      const first = this.exactOffsetAt(utcDay * dayMs);
      offset = first === this.exactOffsetAt((utcDay + 1) * dayMs - 1000) ? first : null;
      this.offsetByUtcDay.set(utcDay, offset);
    }
    return offset ?? this.exactOffsetAt(ms);
  }

  /** Local wall time minus UTC at `ms`, in ms (whole seconds: no zone has offsets finer than that). */
  private exactOffsetAt(ms: number): number {
    const wall: Record<string, number> = {};
    for (const part of this.format.formatToParts(ms)) {
      if (part.type !== 'literal') wall[part.type] = Number(part.value);
    }
    const local = Date.UTC(
      wall['year']!,
      wall['month']! - 1,
      wall['day'],
      wall['hour'],
      wall['minute'],
      wall['second'],
    );
    return local - Math.floor(ms / 1000) * 1000;
  }
}
