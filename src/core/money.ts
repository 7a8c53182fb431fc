/**
 * @module Money amounts for messages: stored in minor units (cents) per currency, formatted with Intl
 * for the visitor's locale. Shared by the Worker (thresholds) and the snippet runtime (cart progress),
 * so it stays tiny and dependency-free.
 */

/** Formats `minor` units of `currency`, e.g. (1250, "EUR", "de-DE") gives "12,50 €". */
export function formatMoney(minor: number, currency: string, locale: string): string {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, { style: "currency", currency });
  } catch {
    format = new Intl.NumberFormat("en", { style: "currency", currency });
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

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
