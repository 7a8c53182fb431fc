/**
 * @module The edge rewrite: a store's HTML page, streamed through HTMLRewriter with the visitor's decision written
 * in, for the proxy route to return. What it writes is what the runtime would draw (src/core/message-markup.ts):
 *   - the top bar into the store's `[data-valuebar="topbar"]` slot when that slot is the first element of
 *     `<body>` (where the README asks for it), else right before that first element, so at the top of the body;
 *     a slot further down is unmarked, so the height it reserves does not open under a bar that is elsewhere;
 *   - the shipping and returns messages as the content of the elements marked for them;
 *   - the edge runtime once (EDGE_RUNTIME_JS, the runtime built for edge mode: scripts/build-snippet.mjs), before
 *     `</head>` (or with the bar when the head has no end tag), with the same decision and `edge` (the store's origin,
 *     for its beacons): at DOMContentLoaded it takes over the elements written here (their link and dismiss button,
 *     the shipping text for cart progress) and does the dismissal, cart progress, beacons and GA4 events. It draws
 *     nothing itself, so nothing is drawn twice.
 * A message the visitor dismissed (the `valuebar_dismissed` cookie, src/core/dismissal.ts) is written nowhere and
 * is null in the runtime's decision: it is not drawn and taken away again.
 * Nothing is buffered: each piece is written as the origin's bytes for it pass. Anything that fails before the first
 * byte gives the origin's page unchanged; a handler that fails later stops the rewrite and the rest of the page
 * passes through as the origin sent it. `Server-Timing` says which.
 */
import type { Decision, PlacementDecision } from "../core/decide";
import { dismissalKey } from "../core/dismissal";
import { messageMarkup, PLACEMENT_ATTR, topBarMarkup } from "../core/message-markup";
import { PLACEMENTS } from "../core/shared";
import { runtimeCall } from "../core/script-json";

/** What the runtime's `run` gets in script mode (snippet/src/index.ts SnippetPayload), minus the preview. */
export interface EdgePayload {
  site: string;
  /** The store's origin as the visitor sees it (the request's, e.g. "https://shop.example"): the beacons go there. */
  storeOrigin: string;
  decision: Decision;
  newVisitorId?: string;
  consent?: boolean;
  token?: string;
  /**
   * The keys of the messages the visitor dismissed (src/core/dismissal.ts): they are not written into the page, and
   * the runtime's decision has null for their placements, so it draws them neither.
   */
  dismissed?: ReadonlySet<string>;
}

export interface RewriteOptions {
  /** The decision's own Server-Timing entries (serverTiming in src/service/decision-service.ts). */
  serverTiming?: string;
  /**
   * The visitor's Accept-Encoding. `fetch` asks the origin for compressed bytes whatever the visitor takes, and the
   * rewritten page is encoded again as its Content-Encoding says: kept only when the visitor takes that encoding.
   */
  acceptEncoding?: string | null;
}

/** `Server-Timing` entries that say what the rewrite did with the page. */
export const EDGE_TIMING = { rewritten: 'edge;desc="rewritten"', failOpen: 'edge;desc="fail-open"' } as const;

// A CSP nonce is base64 (or base64url); anything else is not written into the page.
const NONCE = /^[A-Za-z0-9+/_=-]{1,256}$/;

/**
 * The origin's page with the decision written in (see the module's header), or, when preparing the rewrite fails,
 * the origin's page unchanged. Call it only for a 200 `text/html` answer to a GET; `origin`'s body is as `fetch`
 * gives it (decoded: workerd encodes the answer again as its Content-Encoding says).
 *
 * @example
 * const page = { site, storeOrigin: new URL(request.url).origin, decision: served.decision, consent: served.consent };
 * return rewritePage(await fetch(request), page, EDGE_RUNTIME_JS, { serverTiming: serverTiming(served) });
 */
export function rewritePage(origin: Response, payload: EdgePayload, runtime: string, options: RewriteOptions = {}): Response {
  let rewriter: HTMLRewriter;
  try {
    rewriter = pageRewriter(payload, runtime, contentSecurityNonces(origin.headers.get("content-security-policy")));
  } catch (error) {
    console.error("valuebar: edge rewrite skipped, the page goes out unchanged", error);
    return withHeaders(origin, (headers) => appendTiming(headers, EDGE_TIMING.failOpen, options.serverTiming));
  }
  return withHeaders(rewriter.transform(origin), (headers) => {
    // The body is no longer the origin's: its length and validators would describe other bytes (a 304 against the
    // origin's ETag would bring back another visitor's, or another day's, decision).
    for (const name of ["content-length", "etag", "last-modified"]) headers.delete(name);
    const encoding = headers.get("content-encoding");
    if (encoding !== null && options.acceptEncoding !== undefined && !acceptsEncoding(options.acceptEncoding, encoding)) headers.delete("content-encoding");
    // Personal: never in a shared cache; the browser asks again each time (the decision may change).
    headers.set("cache-control", "private, no-cache");
    // Who the visitor is comes from their cookies.
    const vary = headers.get("vary");
    const varied = (vary ?? "").split(",").map((name) => name.trim().toLowerCase());
    if (!vary) headers.set("vary", "Cookie");
    else if (!varied.includes("cookie") && !varied.includes("*")) headers.set("vary", `${vary}, Cookie`);
    appendTiming(headers, EDGE_TIMING.rewritten, options.serverTiming);
  });
}

/**
 * Whether an Accept-Encoding header takes `encoding` (or `*`) with a weight above 0. Reads its first 256
 * characters: a browser's is a few dozen.
 */
export function acceptsEncoding(header: string | null, encoding: string): boolean {
  const weights = new Map<string, boolean>();
  for (const entry of (header ?? "").slice(0, 256).split(",")) {
    const [name = "", ...params] = entry.split(";");
    const weight = params.map((param) => param.trim().toLowerCase()).find((param) => param.startsWith("q="));
    weights.set(name.trim().toLowerCase(), weight === undefined || Number(weight.slice(2)) > 0);
  }
  // A coding named outright wins over `*`.
  return weights.get(encoding.trim().toLowerCase()) ?? weights.get("*") ?? false;
}

/** The script and style nonces a Content-Security-Policy header allows, when it names them. */
export function contentSecurityNonces(policy: string | null): { script?: string; style?: string } {
  if (!policy) return {};
  const directives = new Map<string, string>();
  // Several policies arrive joined by commas; the first to name a directive is the one we read.
  for (const directive of policy.split(/[;,]/)) {
    const [name, ...sources] = directive.trim().split(/\s+/);
    if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), sources.join(" "));
  }
  const nonceOf = (...names: string[]) => {
    const sources = names.map((name) => directives.get(name)).find((value) => value !== undefined);
    const source = (sources ?? "").split(" ").find((token) => token.startsWith("'nonce-") && token.endsWith("'"));
    const nonce = source?.slice("'nonce-".length, -1);
    return nonce && NONCE.test(nonce) ? nonce : undefined;
  };
  const script = nonceOf("script-src-elem", "script-src", "default-src");
  const style = nonceOf("style-src-elem", "style-src", "default-src");
  return { ...(script ? { script } : {}), ...(style ? { style } : {}) };
}

/** What the rewrite writes, made before the first byte so that a failure here can still send the page unchanged. */
interface Pieces {
  /** The bar's HTML, or undefined when the visitor has none. */
  bar: string | undefined;
  /** The shipping and returns content, by placement, for those that have a message. */
  inline: Map<string, string>;
  /** The runtime's call with this decision; a nonce goes on the `<script>` tag when it is written. */
  script: string;
}

// The runtime last found inlinable: the same string on every page, checked once per isolate rather than per page.
let inlinableRuntime: string | undefined;

/** A "</script" or "<!--" in the runtime would end or confuse the inline script: not ours to write then. */
function inlinable(runtime: string): boolean {
  if (runtime === inlinableRuntime) return true;
  if (/<\/script|<!--/i.test(runtime)) return false;
  inlinableRuntime = runtime;
  return true;
}

function pieces(payload: EdgePayload, runtime: string, styleNonce: string | undefined): Pieces {
  if (!inlinable(runtime)) throw new Error("the runtime cannot be inlined");
  const placements = undismissed(payload.decision.placements, payload.dismissed);
  const shown = (decision: PlacementDecision | null | undefined) => (typeof decision?.message?.text == "string" ? decision.message : undefined);
  const topbar = shown(placements.topbar);
  const inline = new Map<string, string>();
  for (const placement of ["shipping", "returns"] as const) {
    const message = shown(placements[placement]);
    if (message) inline.set(placement, messageMarkup(message));
  }
  const call = {
    site: payload.site,
    decision: placements === payload.decision.placements ? payload.decision : { ...payload.decision, placements },
    edge: payload.storeOrigin,
    // A preview link on the store's page is the proxy's to answer; the runtime must not ask the Worker again for it.
    preview: true,
    ...(payload.newVisitorId ? { newVisitorId: payload.newVisitorId } : {}),
    ...(payload.consent === false ? { consent: false } : {}),
    ...(payload.token ? { token: payload.token } : {}),
  };
  return { bar: topbar && topBarMarkup(topbar, styleNonce), inline, script: runtimeCall(runtime, call) };
}

/** `placements` with null for each one whose message the visitor dismissed; the same object when there is none. */
function undismissed(placements: Decision["placements"], dismissed: ReadonlySet<string> | undefined): Decision["placements"] {
  if (!dismissed?.size) return placements;
  const left = { ...placements };
  for (const placement of PLACEMENTS) {
    const decision = placements[placement];
    if (decision && dismissed.has(dismissalKey(placement, decision.campaign))) left[placement] = null;
  }
  return left;
}

// Elements that draw nothing: the bar goes before the first element of the body that draws something.
const UNDRAWN = new Set(["script", "noscript", "style", "link", "meta", "template"]);

function pageRewriter(payload: EdgePayload, runtime: string, nonces: { script?: string; style?: string }): HTMLRewriter {
  const written = pieces(payload, runtime, nonces.style);
  let scriptNonce = nonces.script;
  let scriptWritten = false;
  let barPlaced = false;
  // Set by the body's first element when it is the slot and got the bar; its own slot handler runs right after.
  let slotFilled = false;
  let failed = false;
  const scriptTag = () => {
    scriptWritten = true;
    return `<script${scriptNonce ? ` nonce="${scriptNonce}"` : ""}>${written.script}</script>`;
  };
  // Once a handler fails the rest of the page passes through untouched: the visitor still gets the whole page.
  const safely =
    <T>(handler: (item: T) => void) =>
    (item: T): void => {
      if (failed) return;
      try {
        handler(item);
      } catch (error) {
        failed = true;
        console.error("valuebar: edge rewrite stopped, the rest of the page goes out unchanged", error);
      }
    };

  const rewriter = new HTMLRewriter()
    .on("script[nonce]", {
      element: safely((element) => {
        const nonce = element.getAttribute("nonce");
        if (!scriptNonce && nonce && NONCE.test(nonce)) scriptNonce = nonce;
      }),
    })
    .on("head", {
      element: safely((element) => {
        element.onEndTag(safely((end) => end.before(scriptTag(), { html: true })));
      }),
    });
  // Only a bar is placed by the body's first element: without one, no call per child of the body (a page with no
  // </head> then gets the runtime at its end).
  const bar = written.bar;
  if (bar !== undefined) {
    rewriter.on("body > *", {
      element: safely((element) => {
        if (barPlaced || UNDRAWN.has(element.tagName)) return;
        barPlaced = true;
        const script = scriptWritten ? "" : scriptTag();
        if (element.getAttribute("data-valuebar") === "topbar") {
          slotFilled = true;
          element.setInnerContent(bar + script, { html: true });
        } else element.before(bar + script, { html: true });
      }),
    });
  }
  return rewriter
    // One selector for the three markers, told apart here: lol-html reads every element's attributes for each
    // attribute selector without a tag name, so three of them cost about three times one (bench/README.md).
    .on("[data-valuebar]", {
      element: safely((element) => {
        const placement = element.getAttribute("data-valuebar") ?? "";
        if (placement === "topbar") {
          // Any other slot (further down, or with no bar for this visitor) is unmarked: it reserves no height.
          if (slotFilled) slotFilled = false;
          else element.removeAttribute("data-valuebar");
          return;
        }
        const content = written.inline.get(placement);
        if (content === undefined) return;
        element.setAttribute(PLACEMENT_ATTR, placement);
        element.setInnerContent(content, { html: true });
      }),
    })
    .onDocument({
      // A page without a body or a head end tag: the runtime still comes, at the end.
      end: safely((end) => {
        if (!scriptWritten) end.append((barPlaced ? "" : (written.bar ?? "")) + scriptTag(), { html: true });
      }),
    });
}

/** `response` with its headers changed by `change`; the body is the same stream, not read here. */
function withHeaders(response: Response, change: (headers: Headers) => void): Response {
  const headers = new Headers(response.headers);
  change(headers);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Adds the rewrite's entry and the decision's to the origin's own `Server-Timing`. */
function appendTiming(headers: Headers, entry: string, decision: string | undefined): void {
  for (const value of [decision, entry]) if (value) headers.append("server-timing", value);
}
