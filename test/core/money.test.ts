/**
 * @module Money formatting and placeholders: amounts in minor units per currency, written the way the
 * visitor's locale writes them; the Worker's cached formatter answers exactly as the uncached one.
 */
import { describe, expect, it } from "vitest";
import { fillPlaceholders, formatMoney, formatMoneyCached, placeholdersIn } from "../../src/core/money";

const CASES: [number, string, string, string][] = [
  [1250, "EUR", "de-DE", "12,50\u00a0€"],
  [7500, "USD", "en-US", "$75.00"],
  [5000, "GBP", "en-GB", "£50.00"],
  // Yen has no minor unit: 1250 minor units are 1,250 yen.
  [1250, "JPY", "ja-JP", "￥1,250"],
  // Not a locale: English, rather than no message.
  [1250, "EUR", "not a locale!", "€12.50"],
];

describe("formatMoney", () => {
  it.each(CASES)("formats %i %s for %s as %s", (minor, currency, locale, expected) => {
    expect(formatMoney(minor, currency, locale)).toBe(expected);
  });

  it("throws for a currency code Intl does not know, so a caller can fall back to the plain text", () => {
    expect(() => formatMoney(100, "NOT-A-CURRENCY", "en")).toThrow(RangeError);
  });
});

describe("formatMoneyCached", () => {
  it.each(CASES)("formats %i %s for %s as %s, the first time and again", (minor, currency, locale, expected) => {
    expect(formatMoneyCached(minor, currency, locale)).toBe(expected);
    expect(formatMoneyCached(minor, currency, locale)).toBe(expected);
  });

  it("answers as formatMoney for hundreds of locale and currency pairs, past the cache's size", () => {
    const locales = ["en-US", "de-DE", "fr-FR", "en-GB", "ja-JP", "nl-NL", "sv-SE", "pl-PL", "it-IT", "es-ES"];
    const currencies = ["EUR", "USD", "GBP", "JPY", "SEK", "PLN", "CHF", "DKK", "NOK", "CZK"];
    for (let round = 0; round < 3; round++) {
      for (const locale of locales) {
        for (const currency of currencies) {
          for (const suffix of ["", "-u-nu-latn", "-u-ca-gregory"]) {
            const amount = 123_456 + round;
            expect(formatMoneyCached(amount, currency, locale + suffix)).toBe(formatMoney(amount, currency, locale + suffix));
          }
        }
      }
    }
  });
});

describe("placeholders", () => {
  it("finds the names a text uses, spaces inside the braces allowed", () => {
    expect(placeholdersIn("Add {{remaining}} more, free over {{ threshold }}")).toEqual(["remaining", "threshold"]);
    expect(placeholdersIn("No placeholders, {single} braces")).toEqual([]);
  });

  it("fills known names and leaves unknown ones as written", () => {
    expect(fillPlaceholders("Free over {{threshold}}, {{ unknown }}", { threshold: "€60.00" })).toBe("Free over €60.00, {{ unknown }}");
  });
});
