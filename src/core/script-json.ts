/** @module JSON that is safe to embed in an inline script (the snippet's payload, the store loader's URL). */
/** JSON that is safe to embed in a script: no "</script>", no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
