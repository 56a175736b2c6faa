const dayMs = 86_400_000;

/** The calendar periods the scheduled tiers group by: a day, an ISO week (Monday to Sunday), a month. */
export type PeriodUnit = 'day' | 'week' | 'month';

/**
 * A number naming the period of `unit` that contains the local day `dayNumber` (days since 1970-01-01); later periods
 * have larger numbers, so tiers sort periods by it. A day is its own number, a week the number of its Monday, a month
 * year * 12 + month index.
 */
export function periodKey(unit: PeriodUnit, dayNumber: number): number {
  if (unit === 'day') return dayNumber;
  if (unit === 'week') return dayNumber - mondayOffset(dayNumber);
  return monthKey(dayNumber);
}

/**
 * The period as people write it: `2026-11-26`, `2026-W47`, `2026-10`. An ISO week belongs to the ISO year of its
 * Thursday, so 2026-12-28..2027-01-03 is 2026-W53 and 2025-12-29..2026-01-04 is 2026-W01.
 */
export function periodLabel(unit: PeriodUnit, key: number): string {
  if (unit === 'day') return new Date(key * dayMs).toISOString().slice(0, 10);
  if (unit === 'week') {
    const thursday = key + 3;
    const year = new Date(thursday * dayMs).getUTCFullYear();
    const week = Math.floor((thursday - Date.UTC(year, 0, 1) / dayMs) / 7) + 1;
    return `${year}-W${String(week).padStart(2, '0')}`;
  }
  return `${Math.floor(key / 12)}-${String((key % 12) + 1).padStart(2, '0')}`;
}

/**
 * year * 12 + month index (January 0) of a day number, by Howard Hinnant's civil_from_days: a Date per backup would
 * make this the slowest step of planning 100,000 backups. Counts in 400-year eras of 146,097 days, from March 1.
 */
function monthKey(dayNumber: number): number {
  const fromMarch = dayNumber + 719_468;
  const era = Math.floor(fromMarch / 146_097);
  const dayOfEra = fromMarch - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthFromMarch < 10 ? monthFromMarch + 2 : monthFromMarch - 10;
  return (yearOfEra + era * 400 + (month < 2 ? 1 : 0)) * 12 + month;
}

/** Days since the Monday of the day's ISO week (Monday 0 .. Sunday 6); day 0, 1970-01-01, was a Thursday. */
function mondayOffset(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7;
}
