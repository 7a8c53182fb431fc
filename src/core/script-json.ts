/** @module JSON that is safe to embed in an inline script (the snippet's payload, the store loader's URL), and the runtime's call. */
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

/**
 * The runtime (its bundle defines `__vbr`) run with `payload`, in a function of its own so nothing leaks into the
 * page's scope: what the snippet route serves and the edge rewrite inlines.
 */
export function runtimeCall(runtime: string, payload: unknown): string {
  return `(function(){${runtime}\n__vbr.run(${scriptJson(payload)})})();`;
}
