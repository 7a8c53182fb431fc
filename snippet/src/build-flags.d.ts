/**
 * Set by scripts/build-snippet.mjs (esbuild `define`), which builds the runtime twice: `false` for script mode (the
 * snippet route's runtime, which draws the messages), `true` for edge mode (inlined by the edge rewrite into a page
 * that already holds them: it takes over what the Worker wrote). The minifier drops the other mode's branches.
 */
declare const __EDGE__: boolean;
