/**
 * @module Counts in words, as a marketer reads them: "1 row", "2 rows", "10,002 rows" (never "1 rows" or
 * "row(s)"). English only, like the rest of the editor.
 *
 * @example
 * counted(1, "visitor"); // "1 visitor"
 * counted(3, "customer", "customers"); // "3 customers"
 */

/** `n` with thousands separators and the word in the singular or the plural (`many`, default: `one` + "s"). */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}
