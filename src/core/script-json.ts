/** @module JSON that is safe to embed in an inline script (the snippet's payload, the store loader's URL). */
const UNSAFE = /[<\u2028\u2029]/;

/** JSON that is safe to embed in a script: no "</script>", no line separators. */
export function scriptJson(value: unknown): string {
  const json = JSON.stringify(value);
  // One scan when there is nothing to escape (the usual case), instead of three replacements.
  if (!UNSAFE.test(json)) return json;
  return json
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
