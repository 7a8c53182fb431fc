/**
 * @module Strict ISO 8601 / RFC 3339 instants with a zone, as import rows carry them (`expires_at`):
 * `2026-12-31T23:59:59Z`, `2026-12-31T23:59:59.250+01:00`, `2026-12-31T23:59Z`. Unlike `Date.parse`, a day the
 * month does not have (30 February) is an error, not a roll-over into March, and a time without a zone is an
 * error rather than a guess (the Worker's clock is UTC, the feed's maybe not).
 *
 * @example
 * parseZonedTime("2026-12-24T00:00:00+01:00"); // { ok: true, ms: Date.parse("2026-12-23T23:00:00Z") }
 * parseZonedTime("2026-02-30T00:00:00Z");      // { ok: false, message: "… February 2026 has 28 days" }
 */

// Fixed-width fields and one optional group each: linear whatever the input (no nested quantifiers).
const ZONED_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})$/;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export const ZONED_TIME_EXAMPLE = "2026-12-31T23:59:59Z";

/** Days in `month` (1-12) of `year`, leap years included. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export type ZonedTime = { ok: true; ms: number } | { ok: false; message: string };

/** The instant `text` names, in ms since the epoch, or what is wrong with it. */
export function parseZonedTime(text: string): ZonedTime {
  const m = ZONED_TIME.exec(text);
  if (!m) return { ok: false, message: `not an ISO time with a zone, such as ${ZONED_TIME_EXAMPLE}` };
  const [, y = "", mo = "", d = "", h = "", mi = "", s = "0", fraction = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return { ok: false, message: `month ${mo} does not exist` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { ok: false, message: `day ${d} does not exist: ${MONTHS[month - 1]} ${y} has ${days} days` };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return { ok: false, message: `${h}:${mi}:${s} is not a time of day` };
  let ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), Number(fraction.slice(0, 3).padEnd(3, "0")));
  // Date.UTC maps years 0-99 to 1900-1999; set the year itself.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  if (zone !== "Z" && zone !== "z") {
    const zoneHours = Number(zone.slice(1, 3));
    const zoneMinutes = Number(zone.slice(4, 6));
    if (zoneHours > 23 || zoneMinutes > 59) return { ok: false, message: `${zone} is not a zone offset` };
    ms -= (zone.startsWith("-") ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
  }
  return { ok: true, ms };
}
