/**
 * @module Money amounts for messages: stored in minor units (cents) per currency, formatted with Intl
 * for the visitor's locale. Shared by the Worker (thresholds) and the snippet runtime (cart progress),
 * so it stays tiny and dependency-free.
 */

function currencyFormat(locale: string, currency: string): Intl.NumberFormat {
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency });
  } catch {
    return new Intl.NumberFormat("en", { style: "currency", currency });
  }
}

function formatWith(format: Intl.NumberFormat, minor: number): string {
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** Formats `minor` units of `currency`, e.g. (1250, "EUR", "de-DE") gives "12,50 €". */
export function formatMoney(minor: number, currency: string, locale: string): string {
  return formatWith(currencyFormat(locale, currency), minor);
}

// Building an Intl.NumberFormat costs far more than using one (the bench's anonymous snippet spent a third of
// its CPU on it). The Worker keeps the few a store needs; the runtime formats too rarely to need the code.
const formats = new Map<string, Intl.NumberFormat>();

function cachedFormat(locale: string, currency: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let format = formats.get(key);
  if (!format) {
    format = currencyFormat(locale, currency);
    if (formats.size >= 256) formats.clear();
    formats.set(key, format);
  }
  return format;
}

/** `formatMoney` with the formatters kept across calls, for the Worker's hot path. */
export function formatMoneyCached(minor: number, currency: string, locale: string): string {
  return formatWith(cachedFormat(locale, currency), minor);
}

/** How many digits a minor unit has in `currency`, as amounts in minor units count them: 2 for EUR, 0 for JPY. */
export function minorDigits(currency: string): number {
  let digits = minorDigitsOf.get(currency);
  if (digits === undefined) {
    digits = cachedFormat("en", currency).resolvedOptions().maximumFractionDigits ?? 2;
    minorDigitsOf.set(currency, digits);
  }
  return digits;
}

// Isolate-wide: digits per currency code (three letters, so a bounded few): resolvedOptions() builds an object on
// every call, and every purchase beacon asks.
const minorDigitsOf = new Map<string, number>();

/** A `{{name}}` placeholder in a message text; group 1 is the name. */
const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/** The names of the placeholders `text` uses. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? "");
}

/** Replaces each `{{name}}` in `text` with `values[name]`; unknown names are left as they are. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}
